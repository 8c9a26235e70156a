-- find_company: companies whose id, or normalised domain, is the argument.
-- Params: $1 company id or domain.
-- Returns: id, domain, address.
SELECT id, coalesce(domain, ''), coalesce(address, '')
FROM crm.companies
WHERE id = $1
   OR (lower(trim(domain)) = lower(trim($1)) AND trim(domain) <> '')
ORDER BY id
