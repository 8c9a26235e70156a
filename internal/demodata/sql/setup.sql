-- Word lists and helper macros for the generator. Everything here is
-- connection-local (variables, TEMP macros): nothing of it reaches the file.
--
-- Determinism: every pseudo-random value is hash(seed, row, 'salt') (g_h) or
-- a rehash of one (g_mix); nothing uses random(), so the output does not
-- depend on thread scheduling.

-- Bulk string columns skip dictionary compression: analysing it costs more
-- than everything else in writing high-cardinality text (FSST still applies).
SET disabled_compression_methods = 'dictionary';

SET VARIABLE g_last = [
    'smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'rodriguez', 'martinez',
    'hernandez', 'lopez', 'gonzalez', 'wilson', 'anderson', 'thomas', 'taylor', 'moore', 'jackson', 'martin',
    'lee', 'perez', 'thompson', 'white', 'harris', 'sanchez', 'clark', 'ramirez', 'lewis', 'robinson',
    'walker', 'young', 'allen', 'king', 'wright', 'scott', 'torres', 'nguyen', 'hill', 'flores',
    'green', 'adams', 'nelson', 'baker', 'hall', 'rivera', 'campbell', 'mitchell', 'carter', 'roberts',
    'gomez', 'phillips', 'evans', 'turner', 'diaz', 'parker', 'cruz', 'edwards', 'collins', 'reyes',
    'stewart', 'morris', 'morales', 'murphy', 'cook', 'rogers', 'gutierrez', 'ortiz', 'morgan', 'cooper',
    'peterson', 'bailey', 'reed', 'kelly', 'howard', 'ramos', 'kim', 'cox', 'ward', 'richardson',
    'watson', 'brooks', 'chavez', 'wood', 'james', 'bennett', 'gray', 'mendoza', 'ruiz', 'hughes',
    'price', 'alvarez', 'castillo', 'sanders', 'patel', 'myers', 'long', 'ross', 'foster', 'jimenez',
    'powell', 'jenkins', 'perry', 'russell', 'sullivan', 'bell', 'coleman', 'butler', 'henderson', 'barnes',
    'fisher', 'vasquez', 'simmons', 'romero', 'jordan', 'patterson', 'alexander', 'hamilton', 'graham', 'reynolds',
    'griffin', 'wallace', 'moreno', 'west', 'cole', 'hayes', 'bryant', 'herrera', 'gibson', 'ellis',
    'tran', 'medina', 'aguilar', 'stevens', 'murray', 'ford', 'castro', 'marshall', 'owens', 'harrison',
    'fernandez', 'mcdonald', 'woods', 'washington', 'kennedy', 'wells', 'vargas', 'henry', 'chen', 'freeman',
    'webb', 'tucker', 'guzman', 'burns', 'crawford', 'olson', 'simpson', 'porter', 'hunter', 'gordon',
    'mendez', 'silva', 'shaw', 'snyder', 'mason', 'dixon', 'munoz', 'hunt', 'hicks', 'holmes',
    'palmer', 'wagner', 'black', 'robertson', 'boyd', 'rose', 'stone', 'salazar', 'fox', 'warren',
    'mills', 'meyer', 'rice', 'schmidt', 'garza', 'daniels', 'ferguson', 'nichols', 'stephens', 'soto',
    'weaver', 'ryan', 'gardner', 'payne', 'grant', 'dunn', 'kelley', 'spencer', 'hawkins', 'arnold'
];

SET VARIABLE g_first = [
    'james', 'mary', 'robert', 'patricia', 'john', 'jennifer', 'michael', 'linda', 'david', 'elizabeth',
    'william', 'barbara', 'richard', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'christopher', 'karen',
    'charles', 'lisa', 'daniel', 'nancy', 'matthew', 'betty', 'anthony', 'sandra', 'mark', 'margaret',
    'donald', 'ashley', 'steven', 'kimberly', 'andrew', 'emily', 'paul', 'donna', 'joshua', 'michelle',
    'kenneth', 'carol', 'kevin', 'amanda', 'brian', 'melissa', 'george', 'deborah', 'timothy', 'stephanie',
    'ronald', 'rebecca', 'jason', 'sharon', 'edward', 'laura', 'jeffrey', 'cynthia', 'ryan', 'dorothy',
    'jacob', 'amy', 'gary', 'kathleen', 'nicholas', 'angela', 'eric', 'shirley', 'jonathan', 'emma',
    'stephen', 'brenda', 'larry', 'pamela', 'justin', 'nicole', 'scott', 'anna', 'brandon', 'samantha',
    'benjamin', 'katherine', 'samuel', 'christine', 'gregory', 'debra', 'alexander', 'rachel', 'patrick', 'carolyn',
    'frank', 'janet', 'raymond', 'maria', 'jack', 'olivia', 'dennis', 'heather', 'jerry', 'helen',
    'tyler', 'catherine', 'aaron', 'diane', 'jose', 'julie', 'adam', 'victoria', 'nathan', 'joyce',
    'henry', 'lauren', 'zachary', 'kelly', 'douglas', 'christina', 'peter', 'ruth', 'kyle', 'joan',
    'noah', 'virginia', 'ethan', 'judith', 'jeremy', 'evelyn', 'christian', 'hannah', 'walter', 'andrea',
    'keith', 'megan', 'austin', 'cheryl', 'roger', 'jacqueline', 'terry', 'madison', 'sean', 'teresa'
];


SET VARIABLE g_street = [
    'Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Court', 'Way', 'Place', 'Boulevard', 'Circle',
    'Trail', 'Parkway', 'Land', 'Camp', 'Springs', 'Orchard', 'Plains', 'Mission', 'Gardens', 'Village',
    'Green', 'Grove', 'Shore', 'Crossing', 'Station', 'Ridge', 'Valley', 'View', 'Heights', 'Square'
];
SET VARIABLE g_city_pre = ['', '', '', '', 'Lake ', 'East ', 'West ', 'North ', 'South ', 'Port ', 'New '];
SET VARIABLE g_city_suf = [
    'port', 'stad', 'mouth', 'berg', 'town', 'land', 'side', 'burgh', 'ville', 'fort',
    'haven', 'view', 'borough', 'furt', 'chester', 'bury', 'ton', 'field'
];
SET VARIABLE g_state = [
    'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY',
    'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND',
    'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
    'DC', 'PR', 'VI', 'GU', 'MH'
];
SET VARIABLE g_headline = [
    'Announces Series B funding', 'Launches a new lending product', 'Appoints a new Chief Risk Officer',
    'Expands into three new markets', 'Reports a record quarter', 'Partners with a leading bank'
];
SET VARIABLE g_disposable = ['mailinator.com', 'guerrillamail.com', 'yopmail.com', '10minutemail.com'];
SET VARIABLE g_team = [
    'john.doe@taktile.com', 'ada.approve@taktile.com', 'rita.risk@taktile.com', 'sam.scorecard@taktile.com'
];
-- Thread lengths of outreach emails: each block of 14 rows is four threads
-- of 2, 3, 4 and 5 emails in one of these orders (digits, first to last).
SET VARIABLE g_thread_lens = [
    2345, 2354, 2435, 2453, 2534, 2543, 3245, 3254, 3425, 3452, 3524, 3542,
    4235, 4253, 4325, 4352, 4523, 4532, 5234, 5243, 5324, 5342, 5423, 5432
];
SET VARIABLE g_subject = [
    'Level-up your underwriting', 'Level-up your underwriting', 'Automate your credit decisions',
    'Faster loan approvals, less risk', 'Quick question about your risk engine'
];

SET VARIABLE g_first_cap = list_transform(getvariable('g_first'), x -> upper(x[1]) || x[2:]);
SET VARIABLE g_last_cap = list_transform(getvariable('g_last'), x -> upper(x[1]) || x[2:]);

-- A non-negative 63-bit pseudo-random BIGINT from (seed, row, salt).
CREATE TEMP MACRO g_h(a, b, c) AS (hash(a, b, c) >> 1)::BIGINT;
-- A further independent 63-bit value from one already drawn.
CREATE TEMP MACRO g_mix(x) AS (hash(x) >> 1)::BIGINT;
-- The element of list variable v chosen by the non-negative integer h.
CREATE TEMP MACRO g_pick(v, h) AS getvariable(v)[(h % len(getvariable(v))) + 1];
-- Capitalise the first letter.
CREATE TEMP MACRO g_cap(s) AS upper(s[1]) || s[2:];

-- A version-4 UUID (text) from a 64-bit hash u and its rehash: the bits go
-- through BIT -> BLOB -> UUID -> VARCHAR, much cheaper than format().
CREATE TEMP MACRO g_uuid(u) AS (
    ((u & 18446744073709490175::UBIGINT) | 16384::UBIGINT)::BIT::BLOB
    || ((hash(u) & 4611686018427387903::UBIGINT) | 9223372036854775808::UBIGINT)::BIT::BLOB
)::UUID::VARCHAR;

-- A dlt row id: 14 characters of base64 (80 bits, like dlt's), from a
-- 64-bit hash u and 16 bits of its rehash.
CREATE TEMP MACRO g_dltid(u) AS
    left(to_base64(u::BIT::BLOB || (hash(u) & 65535)::USMALLINT::BIT::BLOB), 14);

-- Domains. Domain number d maps one-to-one to a domain name
-- concat(g_dom_a[i1], g_dom_a[i2], g_dom_b[y]):
--   d < 400:        one name, 'joyce.com' (y: the 400 names-with-TLD of g_dom_b,
--                   TLDs weighted like the export's)
--   d < 80,400:     two names, 'jackson-sandoval.org'
--   d < 16,080,400: three names, 'king-cox-reyes.net'
-- Names of g_dom_b have no hyphen and the prefixes of g_dom_a ('' or a name
-- and a hyphen) end with one, so different (i1, i2, y) never spell the same
-- domain. Small lists only: indexing a constant list costs in proportion to
-- its length. For d >= 400, e = d - 400 gives y = e % 400 and q = e // 400
-- the prefixes, shifted by y (still one-to-one, but the few numbers of a
-- small CRM do not all share a first name).
SET VARIABLE g_dom_b = list_concat(
    list_transform(getvariable('g_last'), x -> x || '.com'),
    list_transform(getvariable('g_last')[1:80], x -> x || '.org'),
    list_transform(getvariable('g_last')[81:125], x -> x || '.net'),
    list_transform(getvariable('g_last')[126:170], x -> x || '.biz'),
    list_transform(getvariable('g_last')[171:200], x -> x || '.info')
);
SET VARIABLE g_dom_a = list_concat([''], list_transform(getvariable('g_last'), x -> x || '-'));
CREATE TEMP MACRO g_nb() AS len(getvariable('g_dom_b'));
CREATE TEMP MACRO g_nl() AS len(getvariable('g_last'));
CREATE TEMP MACRO g_dom_k(d) AS
    ((d - g_nb()) // g_nb() - g_nl() + 7919 * ((d - g_nb()) % g_nb())) % (g_nl() * g_nl());
CREATE TEMP MACRO g_dom_i1(d) AS
    CASE WHEN d < g_nb() * (1 + g_nl()) THEN 0 ELSE 1 + g_dom_k(d) // g_nl() END;
CREATE TEMP MACRO g_dom_i2(d) AS
    CASE
        WHEN d < g_nb() THEN 0
        WHEN d < g_nb() * (1 + g_nl()) THEN 1 + ((d - g_nb()) // g_nb() + 37 * ((d - g_nb()) % g_nb())) % g_nl()
        ELSE 1 + g_dom_k(d) % g_nl()
    END;
CREATE TEMP MACRO g_dom_y(d) AS CASE WHEN d < g_nb() THEN (d * 157) % g_nb() ELSE (d - g_nb()) % g_nb() END;
-- The domain from its parts, and of domain number d (a column: see
-- g_email_of in model.sql).
CREATE TEMP MACRO g_dom_of(i1, i2, y) AS
    concat(getvariable('g_dom_a')[i1 + 1], getvariable('g_dom_a')[i2 + 1], getvariable('g_dom_b')[y + 1]);
CREATE TEMP MACRO g_dom(d) AS g_dom_of(g_dom_i1(d), g_dom_i2(d), g_dom_y(d));
-- 'Acme-jones.COM'
CREATE TEMP MACRO g_dom_mixed(dom) AS g_cap(split_part(dom, '.', 1)) || '.' || upper(split_part(dom, '.', 2));

-- A news URL of a bare domain: scheme and www. drawn like the export's
-- (85% https, 32% www.), and for kind < 10 some mess: upper case, a path, a
-- query, a port, a trailing slash, surrounding white space.
SET VARIABLE g_url_prefix = ['https://', 'https://www.', 'http://', 'http://www.'];
CREATE TEMP MACRO g_prefix(h) AS
    getvariable('g_url_prefix')[(h % 1000 >= 845)::INTEGER * 2 + ((h // 1000) % 1000 < 320)::INTEGER + 1];
-- The URL of the domain with parts (i1, i2, y): one concatenation in the
-- common case.
CREATE TEMP MACRO g_url(i1, i2, y, h, kind) AS
    CASE
        WHEN kind >= 10 THEN concat(
            g_prefix(h), getvariable('g_dom_a')[i1 + 1], getvariable('g_dom_a')[i2 + 1], getvariable('g_dom_b')[y + 1])
        ELSE CASE kind
            WHEN 0 THEN upper(g_prefix(h) || g_dom_of(i1, i2, y))
            WHEN 1 THEN g_prefix(h) || g_cap(g_dom_of(i1, i2, y))
            WHEN 2 THEN concat(g_prefix(h), g_dom_of(i1, i2, y), '/news/', ((h // 1000000) % 100000)::VARCHAR)
            WHEN 3 THEN concat(g_prefix(h), g_dom_of(i1, i2, y), '?utm_source=newsfeed&utm_medium=rss')
            WHEN 4 THEN concat(g_prefix(h), g_dom_of(i1, i2, y), CASE WHEN (h // 1000000) % 2 = 0 THEN ':443' ELSE ':8080' END)
            WHEN 5 THEN concat(g_prefix(h), g_dom_of(i1, i2, y), '/')
            WHEN 6 THEN concat('  ', g_prefix(h), g_dom_of(i1, i2, y), ' ')
            WHEN 7 THEN concat(chr(9), g_prefix(h), g_dom_of(i1, i2, y), '/ ')
            WHEN 8 THEN concat(
                g_prefix(h), g_dom_of(i1, i2, y), ':8443/press/', ((h // 1000000) % 10000)::VARCHAR, '?ref=home#top')
            ELSE upper(g_prefix(h)) || g_dom_of(i1, i2, y)
        END
    END;
-- Mostly the export's 'News!'.
CREATE TEMP MACRO g_headline(h) AS CASE WHEN h % 100 < 85 THEN 'News!' ELSE g_pick('g_headline', h // 100) END;

-- A person's address at the domain with parts (i1, i2, y):
-- 'jane.doe@acme.com', sometimes 'Jane.Doe@Acme.COM' or all upper case.
CREATE TEMP MACRO g_person_email(fst, lst, i1, i2, y, h) AS
    CASE
        WHEN h % 100 < 4 THEN concat(g_cap(fst), '.', g_cap(lst), '@', g_dom_mixed(g_dom_of(i1, i2, y)))
        WHEN h % 100 < 5 THEN upper(concat(fst, '.', lst, '@', g_dom_of(i1, i2, y)))
        ELSE concat(
            fst, '.', lst, '@',
            getvariable('g_dom_a')[i1 + 1], getvariable('g_dom_a')[i2 + 1], getvariable('g_dom_b')[y + 1])
    END;

-- Phone numbers in the export's assorted formats ('372.306.5618',
-- '(538)777-2119x93069', '+1-493-650-3377x25424', ...).
CREATE TEMP MACRO g_phone(h) AS
    CASE (h // 1000000000000000) % 6
        WHEN 0 THEN concat((201 + h % 798)::VARCHAR, '.', (200 + (h // 1000) % 800)::VARCHAR, '.', (1000 + (h // 1000000) % 9000)::VARCHAR)
        WHEN 1 THEN concat('(', (201 + h % 798)::VARCHAR, ')', (200 + (h // 1000) % 800)::VARCHAR, '-', (1000 + (h // 1000000) % 9000)::VARCHAR, 'x', ((h // 10000000000) % 100000)::VARCHAR)
        WHEN 2 THEN concat('+1-', (201 + h % 798)::VARCHAR, '-', (200 + (h // 1000) % 800)::VARCHAR, '-', (1000 + (h // 1000000) % 9000)::VARCHAR, 'x', ((h // 10000000000) % 100000)::VARCHAR)
        WHEN 3 THEN concat((201 + h % 798)::VARCHAR, (200 + (h // 1000) % 800)::VARCHAR, (1000 + (h // 1000000) % 9000)::VARCHAR)
        WHEN 4 THEN concat('001-', (201 + h % 798)::VARCHAR, '-', (200 + (h // 1000) % 800)::VARCHAR, '-', (1000 + (h // 1000000) % 9000)::VARCHAR, 'x', ((h // 10000000000) % 10000)::VARCHAR)
        ELSE concat((201 + h % 798)::VARCHAR, '-', (200 + (h // 1000) % 800)::VARCHAR, '-', (1000 + (h // 1000000) % 9000)::VARCHAR)
    END;

CREATE TEMP MACRO g_address(h1, h2) AS
    CASE
        WHEN h1 % 100 < 3 THEN
            'USNS ' || g_pick('g_last_cap', h2) || ', FPO ' || ['AA', 'AE', 'AP'][(h2 // 1000) % 3 + 1]
            || ' ' || lpad(((h2 // 10000) % 100000)::VARCHAR, 5, '0')
        WHEN h1 % 100 < 5 THEN
            'PSC ' || lpad(((h2 // 7) % 10000)::VARCHAR, 4, '0') || ', Box ' || lpad(((h2 // 70000) % 10000)::VARCHAR, 4, '0')
            || ', APO ' || ['AA', 'AE', 'AP'][(h1 // 100) % 3 + 1] || ' ' || lpad(((h1 // 1000) % 100000)::VARCHAR, 5, '0')
        ELSE
            lpad(((h1 // 100) % 10000)::VARCHAR, (3 + (h1 // 1000000) % 2)::INTEGER, '0') || ' '
            || CASE WHEN h2 % 2 = 0 THEN g_pick('g_first_cap', h2 // 2) ELSE g_pick('g_last_cap', h2 // 2) END || ' '
            || g_pick('g_street', h2 // 1000)
            || CASE (h2 // 100000) % 3
                   WHEN 0 THEN ' Apt. ' || lpad(((h2 // 300000) % 1000)::VARCHAR, 3, '0')
                   WHEN 1 THEN ' Suite ' || (100 + (h2 // 300000) % 900)::VARCHAR
                   ELSE ''
               END
            || ', ' || g_pick('g_city_pre', h1 // 10000000) || g_pick('g_first_cap', h1 // 1000000000)
            || g_pick('g_city_suf', h1 // 100000000000) || ', ' || g_pick('g_state', h2 // 1000000000)
            || ' ' || lpad(((h2 // 100000000000) % 100000)::VARCHAR, 5, '0')
    END;
