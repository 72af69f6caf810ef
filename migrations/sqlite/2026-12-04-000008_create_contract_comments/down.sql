DROP TABLE contract_comments;
