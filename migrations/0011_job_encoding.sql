-- Outbox jobs change encoding: {"kind":"overdue","order":"C5-1"} becomes {"overdue":{"order":"C5-1"}}
-- (serde's default for an enum). Decoding the old, internally tagged form buffered every job
-- through serde's generic `Content` tree, 42 KB of the module (5 KiB gzip; docs/performance.md).
-- Jobs still waiting are rewritten; delivered ones too, so every row reads the same way.
-- Idempotent: a row already rewritten has no top-level "kind".
UPDATE outbox
   SET job = json_object(json_extract(job, '$.kind'), json_remove(job, '$.kind'))
 WHERE json_type(job, '$.kind') = 'text';
