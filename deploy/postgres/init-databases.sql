-- One database per service: no service reads another's tables (docs/adr/0001). Each is owned
-- by its service's owner role, which with the service's runtime role is the only one let in
-- (docs/adr/0007, docs/security.md): reporting's roles
-- cannot even connect to intake's personal data. The embedded stack does the same in
-- devtool/database_roles.py.
--
-- The postgres image runs this file once, through psql, on an empty data directory; the
-- passwords come from the postgres container's environment (see docker-compose.yml).
\set ON_ERROR_STOP on
\getenv intake_password DUO_INTAKE_DB_PASSWORD
\getenv matching_password DUO_MATCHING_DB_PASSWORD
\getenv tracking_password DUO_TRACKING_DB_PASSWORD
\getenv reporting_password DUO_REPORTING_DB_PASSWORD
\getenv intake_runtime_password DUO_INTAKE_RUNTIME_DB_PASSWORD
\getenv matching_runtime_password DUO_MATCHING_RUNTIME_DB_PASSWORD
\getenv tracking_runtime_password DUO_TRACKING_RUNTIME_DB_PASSWORD
\getenv reporting_runtime_password DUO_REPORTING_RUNTIME_DB_PASSWORD

-- Nothing beyond logging in: no superuser, no new databases or roles.
CREATE ROLE duo_intake LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'intake_password';
CREATE ROLE duo_matching LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'matching_password';
CREATE ROLE duo_tracking LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'tracking_password';
CREATE ROLE duo_reporting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reporting_password';
-- What each service serves with: its table privileges come from the owner after each migration run
-- (shared/runtime_privileges.py): no DDL, append-only tables INSERT/SELECT only.
CREATE ROLE duo_intake_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'intake_runtime_password';
CREATE ROLE duo_matching_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'matching_runtime_password';
CREATE ROLE duo_tracking_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'tracking_runtime_password';
CREATE ROLE duo_reporting_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reporting_runtime_password';

CREATE DATABASE duo_intake OWNER duo_intake;
CREATE DATABASE duo_matching OWNER duo_matching;
CREATE DATABASE duo_tracking OWNER duo_tracking;
CREATE DATABASE duo_reporting OWNER duo_reporting;

REVOKE ALL ON DATABASE duo_intake FROM PUBLIC;
REVOKE ALL ON DATABASE duo_matching FROM PUBLIC;
REVOKE ALL ON DATABASE duo_tracking FROM PUBLIC;
REVOKE ALL ON DATABASE duo_reporting FROM PUBLIC;

GRANT CONNECT ON DATABASE duo_intake TO duo_intake;
GRANT CONNECT ON DATABASE duo_matching TO duo_matching;
GRANT CONNECT ON DATABASE duo_tracking TO duo_tracking;
GRANT CONNECT ON DATABASE duo_reporting TO duo_reporting;
GRANT CONNECT ON DATABASE duo_intake TO duo_intake_runtime;
GRANT CONNECT ON DATABASE duo_matching TO duo_matching_runtime;
GRANT CONNECT ON DATABASE duo_tracking TO duo_tracking_runtime;
GRANT CONNECT ON DATABASE duo_reporting TO duo_reporting_runtime;

-- Each role owns the `public` schema of its database (PostgreSQL 15+ no longer lets PUBLIC
-- create in it), and nobody else may use it.
\connect duo_intake
ALTER SCHEMA public OWNER TO duo_intake;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
\connect duo_matching
ALTER SCHEMA public OWNER TO duo_matching;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
\connect duo_tracking
ALTER SCHEMA public OWNER TO duo_tracking;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
\connect duo_reporting
ALTER SCHEMA public OWNER TO duo_reporting;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
