-- One database per service: no service reads another's tables (docs/adr/0001).
CREATE DATABASE duo_intake;
CREATE DATABASE duo_matching;
CREATE DATABASE duo_tracking;
CREATE DATABASE duo_reporting;
