-- CareTrail audit: tables (release 0084, on-behalf-of attribution).
--
-- Release 0021's tables (triggers/0021/01_audit_schema.sql) plus one column:
-- under a delegation ("act for Dr X") the application names the user acted
-- for in caretrail.on_behalf_of (app/core/db_context.py); the capture
-- functions copy it here, believed only from the application's role and the
-- schema's owner like the other claims.
--
-- Safe to run more than once.

ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS on_behalf_of text;
COMMENT ON COLUMN audit_log.on_behalf_of IS
    'Under a delegation, the CareTrail user the acting user (app_username) acted for; NULL otherwise';
