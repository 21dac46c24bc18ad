-- Version 15: each federation publication keeps the definitions its branches' cells were computed under
-- (docs/adr/0025, amended; docs/reporting.md), `{"BE": {"positive_exit": ..., "sustainable_work": ...,
-- "mentor_retention": ...}, ...}`, one entry per branch of its roll-up. Until now they were worked out again from
-- the branch files (services/reporting/definitions/*.toml) at each read, so a branch choosing other definitions
-- later would have changed what an old publication says it counted.
-- A row stored before this version is filled with what was stated for it until now: per branch of its roll-up,
-- the branch file's version in force on its publication day (every branch's first version before 2027-01-01, each
-- branch's 2027.1 from then on), copied here as the files stand at this version (they have not changed since the
-- branches' choices were introduced, so these are also the definitions those rows were computed under; before
-- those choices, every branch used the first version's). The owner runs this: the runtime role cannot UPDATE.
ALTER TABLE federation_publications ADD COLUMN IF NOT EXISTS definitions JSONB;

WITH choices (branch, valid_from, positive_exit, sustainable_work, mentor_retention) AS (
    VALUES
        ('BE', DATE '2024-01-01', 'positive-exit/v1', 'sustainable-work-memorandum/v1', 'mentor-retention/v1'),
        ('BE', DATE '2027-01-01', 'positive-exit/v2', 'sustainable-work-memorandum/v2', 'mentor-retention/v2'),
        ('NL', DATE '2024-01-01', 'positive-exit/v1', 'sustainable-work-memorandum/v1', 'mentor-retention/v1'),
        ('NL', DATE '2027-01-01', 'positive-exit/v2', 'sustainable-work-published/v2', 'mentor-retention/v2'),
        ('FR', DATE '2024-01-01', 'positive-exit/v1', 'sustainable-work-memorandum/v1', 'mentor-retention/v1'),
        ('FR', DATE '2027-01-01', 'positive-exit-from-start/v1', 'sustainable-work-agency/v1', 'mentor-retention/v2')
)
UPDATE federation_publications p
SET definitions = coalesce(
    (
        SELECT jsonb_object_agg(
            b.branch,
            jsonb_build_object(
                'positive_exit', c.positive_exit,
                'sustainable_work', c.sustainable_work,
                'mentor_retention', c.mentor_retention
            )
        )
        FROM (
            SELECT DISTINCT cell->>0 AS branch
            FROM jsonb_array_elements(
                -- `tables` went through the pool's JSONB codec as a JSON text: a string holding the object.
                CASE WHEN jsonb_typeof(p.tables) = 'string' THEN (p.tables #>> '{}')::jsonb ELSE p.tables END
                    -> 'rollup'
            ) AS cell
            WHERE cell->>0 <> 'total'
        ) AS b
        CROSS JOIN LATERAL (
            SELECT * FROM choices c
            WHERE c.branch = b.branch AND c.valid_from <= p.published_on
            ORDER BY c.valid_from DESC
            LIMIT 1
        ) AS c
    ),
    '{}'::jsonb
)
WHERE p.definitions IS NULL;

ALTER TABLE federation_publications ALTER COLUMN definitions SET NOT NULL;
