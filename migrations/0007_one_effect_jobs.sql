-- Each outbox job is now one external effect (src/domain/jobs.rs), so a retry never repeats
-- the half that already happened. Jobs still waiting when this runs are split the same way:
--   overdue                    = HQ post + buyer DM  ->  overdue (buyer DM) + overdue_hq
--   refunded_by_payment_intent = buyer DM + embed    ->  itself (buyer DM) + refresh_embed
-- Delivered ('done') and given-up ('dead') jobs are history and stay as they are.
INSERT INTO outbox (dedupe_key, job, status, attempts, next_attempt_at, created_at, updated_at)
SELECT 'overdue-hq:' || json_extract(job, '$.order'),
       json_object('kind', 'overdue_hq', 'order', json_extract(job, '$.order')),
       'pending', 0, next_attempt_at, created_at, updated_at
FROM outbox
WHERE status = 'pending' AND json_extract(job, '$.kind') = 'overdue'
ON CONFLICT (dedupe_key) DO NOTHING;

INSERT INTO outbox (dedupe_key, job, status, attempts, next_attempt_at, created_at, updated_at)
SELECT 'embed:' || o.listing_id || ':refunded:' || o.id,
       json_object('kind', 'refresh_embed', 'listing', o.listing_id),
       'pending', 0, x.next_attempt_at, x.created_at, x.updated_at
FROM outbox x
JOIN orders o ON o.payment_intent_id = json_extract(x.job, '$.payment_intent')
WHERE x.status = 'pending' AND json_extract(x.job, '$.kind') = 'refunded_by_payment_intent'
ON CONFLICT (dedupe_key) DO NOTHING;
