{{- /*
Fragments shared by the DuckDB queries (Go text/template, expanded once by
store.SQL). They implement the rules of internal/normalize with plain string
functions: DuckDB's regular expressions and trim() with a character list
cost several times more per row, and these run on every activity row inside
the time windows (about a million rows a day for a CRM of a million
companies; see docs/performance.md). TestFragmentsMatchNormalize keeps
them equal to the Go rules.

  {{template "trim" "col"}}          normalize.Trim of the column col
  {{template "host" "rel"}}          the rows of relation rel (a column url)
                                     with a column host = normalize.HostOnce(url)
  {{template "email_host" "rel"}}    the rows of relation rel (a column email)
                                     with a column host = normalize.EmailDomain(email)
*/ -}}

{{- define "trim" -}}
{{- /* Comparisons, not IN lists: DuckDB plans an IN list as a join. */ -}}
CASE WHEN ascii({{.}}) BETWEEN 9 AND 13 OR ascii({{.}}) = 32
       OR ascii(right({{.}}, 1)) BETWEEN 9 AND 13 OR ascii(right({{.}}, 1)) = 32
     THEN trim({{.}}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
     ELSE {{.}} END
{{- end -}}

{{- define "host" -}}
-- Innermost first: lower-case and trim; drop a scheme; cut at the path,
-- query or fragment; drop user info (up to the last '@'); drop leading
-- 'www.'s; cut at the port; drop trailing dots. The cheap test of each step
-- skips the work on the rows it does not concern.
SELECT * EXCLUDE (s), CASE WHEN ends_with(s, '.') THEN rtrim(s, '.') ELSE s END AS host FROM (
SELECT * REPLACE (CASE WHEN contains(s, ':') THEN split_part(s, ':', 1) ELSE s END AS s) FROM (
SELECT * REPLACE (CASE WHEN NOT starts_with(s, 'www.') THEN s
                       WHEN NOT starts_with(s[5:], 'www.') THEN s[5:]
                       ELSE regexp_replace(s, '^(?:www\.)+', '') END AS s) FROM (
SELECT * REPLACE (CASE WHEN contains(s, '@') THEN split_part(s, '@', -1) ELSE s END AS s) FROM (
SELECT * REPLACE (CASE WHEN contains(s, '/') OR contains(s, '?') OR contains(s, '#')
                       THEN regexp_extract(s, '^[^/?#]*') ELSE s END AS s) FROM (
SELECT * REPLACE (CASE WHEN starts_with(s, 'https://') THEN s[9:]
                       WHEN starts_with(s, 'http://') THEN s[8:]
                       WHEN contains(s, '://') THEN regexp_replace(s, '^[a-z][a-z0-9+.\-]*://', '')
                       ELSE s END AS s) FROM (
SELECT * REPLACE ({{template "trim" "s"}} AS s) FROM (
SELECT *, lower(url) AS s FROM {{.}}
)))))))
{{- end -}}

{{- define "email_host" -}}
SELECT * EXCLUDE (s), {{template "trim" "s"}} AS host FROM (
SELECT *, CASE WHEN contains(email, '@') THEN split_part(lower(email), '@', -1) ELSE '' END AS s FROM {{.}}
)
{{- end -}}
