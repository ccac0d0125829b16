-- history_fleet_pg.sql - the synthetic fleet of history_fleet_sqlite.sql
-- (read it for what is planted), in PostgreSQL: written set-based, straight
-- into a store that bench history add created and emptied.
-- benchmarks/history_cost.sh runs it (psql -v HOSTS=100 -v NIGHTS=365).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
SELECT setseed(0.42);
BEGIN;
CREATE TEMP TABLE p AS
  SELECT k, CASE WHEN k < 18 THEN 4096::bigint << k ELSE (1::bigint << 30) + k END AS size
  FROM generate_series(0, 19) k;
CREATE TEMP TABLE a (i int, name text, version text);
INSERT INTO a VALUES (0, 'glibc', '2.36'), (1, 'jemalloc', '5.3.0'), (2, 'tcmalloc', '2.10'),
                     (3, 'mimalloc', '2.0.9');
CREATE TEMP TABLE m (i int, name text);
INSERT INTO m VALUES (0, 'ns_per_op'), (1, 'minflt_per_op'), (2, 'rss_kib'), (3, 'vsz_kib'),
                     (4, 'pte_kib'), (5, 'peak_rss_kib');
CREATE TEMP TABLE h AS
  SELECT i, format('fleet-%s', lpad(i::text, 3, '0')) AS name,
         CASE i % 5 WHEN 0 THEN 0 WHEN 1 THEN 1 ELSE 2 END AS kind
  FROM generate_series(0, :HOSTS - 1) i;

INSERT INTO runs (id, file_hash, file, created, host, rev, tool_git, interrupted, added)
SELECT n * :HOSTS + h.i + 1, format('synthetic-%s-%s', h.name, n),
       format('/fleet/%s/%s.json', h.name, lpad(n::text, 5, '0')),
       to_char(timestamp '2024-01-01 02:00:00' + n * interval '1 day' + h.i * interval '1 minute',
               'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       h.name, 'r' || n, 'history-cost', 0, '2026-01-01T00:00:00Z'
FROM generate_series(0, :NIGHTS - 1) n, h ORDER BY 1;

INSERT INTO series (id, host, allocator, workload, point, metric)
SELECT ((h.i * 4 + a.i) * 20 + p.k) * 6 + m.i + 1, h.name, a.name, 'calloc-sweep',
       'size=' || p.size, m.name
FROM h, a, p, m ORDER BY 1;

-- the values, with the table's keys and checks set aside while they go in
ALTER TABLE samples DROP CONSTRAINT samples_pkey, DROP CONSTRAINT samples_series_id_fkey,
  DROP CONSTRAINT samples_run_id_fkey;
INSERT INTO samples (series_id, run_id, value)
SELECT s.id, r.id,
  CASE s.mi
    WHEN 0 THEN 30.0 * (1 + s.k) * (1 + 0.1 * s.ai) * (1 + 0.03 * (2 * random() - 1))
                * (CASE WHEN s.hi = 0 AND s.ai = 0 AND s.k = 3 AND r.night >= :NIGHTS * 7 / 10
                        THEN 1.2 ELSE 1 END)
                * (CASE WHEN s.hi = 2 AND s.ai = 0 AND r.night >= :NIGHTS * 6 / 10 THEN 1.5
                        ELSE 1 END)
    WHEN 1 THEN floor(random() * 3) / 100.0
    WHEN 2 THEN 1600 + 10 * s.k
                + (CASE WHEN s.hi = 1 AND s.ai = 2 AND s.k = 10 AND r.night >= :NIGHTS * 4 / 10
                             AND r.night < :NIGHTS * 8 / 10 THEN 480 ELSE 0 END)
    WHEN 3 THEN 2500 + 10 * s.k
    WHEN 4 THEN 40
    ELSE 1600 + 10 * s.k + 4 * floor(random() * 2)
  END
FROM (SELECT id, (id - 1) % 6 AS mi, ((id - 1) / 6) % 20 AS k, ((id - 1) / 120) % 4 AS ai,
             (id - 1) / 480 AS hi, host FROM series) s
JOIN (SELECT id, host, (id - 1) / :HOSTS AS night FROM runs) r ON r.host = s.host
ORDER BY s.id, r.id;
ALTER TABLE samples ADD PRIMARY KEY (series_id, run_id),
  ADD FOREIGN KEY (series_id) REFERENCES series (id),
  ADD FOREIGN KEY (run_id) REFERENCES runs (id);

INSERT INTO settings (id, digest, value) VALUES
  (1, 'synthetic-1', '{"host.arch":"x86_64","host.kernel":"6.6.22-0-lts","host.libc":"musl 1.2.4","host.os":"Alpine Linux v3.19"}'),
  (2, 'synthetic-2', '{"host.arch":"x86_64","host.kernel":"6.8.0-31-generic","host.libc":"glibc 2.39","host.os":"Ubuntu 24.04 LTS"}'),
  (3, 'synthetic-3', '{"host.arch":"x86_64","host.kernel":"6.1.0-18-amd64","host.libc":"glibc 2.36","host.os":"Debian GNU/Linux 12 (bookworm)"}');
INSERT INTO settings (id, digest, value)
SELECT 4 + i, 'synthetic-' || (4 + i), '{"allocator.version":"' || version || '"}' FROM a;
INSERT INTO settings (id, digest, value) VALUES
  (8, 'synthetic-8', '{"allocator.version":"2.36","env.MALLOC_PERTURB_":"85"}');
INSERT INTO run_settings (run_id, allocator, workload, settings_id)
SELECT r.id, '', '', 1 + h.kind FROM runs r JOIN h ON h.name = r.host;
INSERT INTO run_settings (run_id, allocator, workload, settings_id)
SELECT r.id, a.name, 'calloc-sweep',
       CASE WHEN h.i = 2 AND a.i = 0 AND (r.id - 1) / :HOSTS >= :NIGHTS * 6 / 10 THEN 8
            ELSE 4 + a.i END
FROM runs r JOIN h ON h.name = r.host, a;
SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT max(id) FROM runs));
SELECT setval(pg_get_serial_sequence('series', 'id'), (SELECT max(id) FROM series));
SELECT setval(pg_get_serial_sequence('settings', 'id'), (SELECT max(id) FROM settings));
COMMIT;
VACUUM ANALYZE;
