DROP TABLE task_proposals;
