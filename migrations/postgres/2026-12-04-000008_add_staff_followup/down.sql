DROP INDEX contracts_staff_list;
CREATE INDEX contracts_formation ON contracts (context_id, formation_id, academic_year, state);
DROP TABLE contract_comments;
