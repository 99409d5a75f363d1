-- Migration 5: the audit log no longer ties an enterprise to how it rated (DESIGN §6).
-- Never edit once shipped: add a new file.
-- The administrator reads the log. Earlier entries of an enterprise's answer named the
-- agency and the response, a paper entry the response, a reveal the enterprise, and an
-- enterprise's problem steps the ticket: bring them to what the services record now.
UPDATE audit_log
   SET target = substr(target, 1, instr(target, '/') - 1),
       detail = json_remove(detail, '$.response')
 WHERE action IN ('response.saved', 'response.revised', 'response.withdrawn',
                  'response.paper_saved', 'response.paper_replaced')
   AND instr(target, '/') > 0;
UPDATE audit_log
   SET detail = json_set(json_remove(detail, '$.enterprise'), '$.subject',
                         CASE WHEN target LIKE 'problem/%' THEN 'problem' ELSE 'response' END),
       target = coalesce((SELECT 'reveal/' || v.id FROM reveals v
                           WHERE v.actor = audit_log.actor
                             AND v.reason = json_extract(audit_log.detail, '$.reason')
                             AND (audit_log.target = 'response/' || v.response_id
                                  OR audit_log.target = 'problem/' || v.problem_id)
                           ORDER BY v.id LIMIT 1), 'reveal')
 WHERE action = 'rater.revealed';
UPDATE audit_log
   SET target = coalesce((SELECT p.round FROM problems p WHERE 'problem/' || p.id = audit_log.target), ''),
       detail = '{}'
 WHERE actor LIKE 'enterprise:%' AND action LIKE 'problem.%'
