{{- /*
Fragments shared by the PostgreSQL queries (Go text/template, expanded once
by store.SQL): the rules of internal/normalize. PostgreSQL's regular
expressions cost microseconds a row, so the host rule takes the common
shape of a URL ("http(s)://[www.]host" and nothing else) with plain string
functions and leaves only the other rows to the expressions.
TestFragmentsMatchNormalize keeps them equal to the Go rules.

  {{template "trim" "expr"}}         normalize.Trim of expr
  {{template "host" "rel"}}          the rows of relation rel (a column url)
                                     with a column host = normalize.HostOnce(url)
                                     (and the helper columns host_v, host_r)
  {{template "email_host" "rel"}}    the rows of relation rel (a column email)
                                     with a column host = normalize.EmailDomain(email)
                                     (and the helper column host_e)

OFFSET 0 keeps each helper column a column: without it the planner inlines
the subquery and evaluates its expression once per reference.
*/ -}}

{{- define "trim" -}}
btrim({{.}}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
{{- end -}}

{{- define "host" -}}
SELECT *,
       CASE
           WHEN host_r IS NOT NULL
            AND strpos(host_r, '/') = 0 AND strpos(host_r, '?') = 0 AND strpos(host_r, '#') = 0
            AND strpos(host_r, '@') = 0 AND strpos(host_r, ':') = 0
            AND ascii(right(host_r, 1)) > 32 AND right(host_r, 1) <> '.'
            AND left(host_r, 8) <> 'www.www.'
           THEN CASE WHEN left(host_r, 4) = 'www.' THEN substr(host_r, 5) ELSE host_r END
           ELSE rtrim(substring(
                    substring({{template "trim" "host_v"}} from '^(?:[a-z][a-z0-9+.\-]*://)?([^/?#]*)')
                    from '^(?:.*@)?(?:www\.)*([^:]*)'), '.')
       END AS host
FROM (
    SELECT *,
           CASE WHEN left(host_v, 8) = 'https://' THEN substr(host_v, 9)
                WHEN left(host_v, 7) = 'http://' THEN substr(host_v, 8) END AS host_r
    FROM (SELECT *, lower(url) AS host_v FROM {{.}} OFFSET 0) host_a
    OFFSET 0
) host_b
{{- end -}}

{{- define "email_host" -}}
SELECT *,
       CASE WHEN strpos(host_e, '@') > 0 THEN {{template "trim" "split_part(host_e, '@', -1)"}} ELSE '' END AS host
FROM (SELECT *, lower(email) AS host_e FROM {{.}} OFFSET 0) host_c
{{- end -}}
