-- history_fleet_sqlite.sql - a fleet's synthetic history written straight
-- into an SQLite store that bench history add created (its schema, its meta)
-- and emptied: :HOSTS hosts x :NIGHTS nights x 4 allocators x 20 points of
-- calloc-sweep x 6 metrics, with each run's settings. benchmarks/history_cost.sh
-- runs it (sqlite3 -cmd '.parameter set :HOSTS 100' ...).
--
-- Planted, so that check has changes to find (night n of N):
--   fleet-000 glibc size=32768 ns_per_op +20% from n = 7N/10;
--   fleet-001 tcmalloc size=4194304 rss_kib +480 KiB (+30%) from 4N/10, back at 8N/10;
--   fleet-002 glibc every point's ns_per_op +50% from 6N/10, when its glibc runs
--   got env.MALLOC_PERTURB_=85 (check must say so).
-- Hosts are of three kinds: every 5th Alpine (musl), the next Ubuntu (glibc
-- 2.39), the rest Debian (glibc 2.36).
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE p (k INTEGER PRIMARY KEY, size INTEGER);
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 19)
INSERT INTO p SELECT k, CASE WHEN k < 18 THEN 4096 << k ELSE (1 << 30) + k END FROM n;
CREATE TEMP TABLE a (i INTEGER PRIMARY KEY, name TEXT, version TEXT);
INSERT INTO a VALUES (0, 'glibc', '2.36'), (1, 'jemalloc', '5.3.0'), (2, 'tcmalloc', '2.10'),
                     (3, 'mimalloc', '2.0.9');
CREATE TEMP TABLE m (i INTEGER PRIMARY KEY, name TEXT);
INSERT INTO m VALUES (0, 'ns_per_op'), (1, 'minflt_per_op'), (2, 'rss_kib'), (3, 'vsz_kib'),
                     (4, 'pte_kib'), (5, 'peak_rss_kib');
CREATE TEMP TABLE h (i INTEGER PRIMARY KEY, name TEXT, kind INTEGER);
WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < :HOSTS - 1)
INSERT INTO h SELECT k, printf('fleet-%03d', k), CASE k % 5 WHEN 0 THEN 0 WHEN 1 THEN 1 ELSE 2 END
FROM n;

WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < :NIGHTS - 1)
INSERT INTO runs (id, file_hash, file, created, host, rev, tool_git, interrupted, added)
SELECT n.k * :HOSTS + h.i + 1, printf('synthetic-%s-%d', h.name, n.k),
       printf('/fleet/%s/%05d.json', h.name, n.k),
       strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01 02:00:00', printf('+%d days', n.k),
                printf('+%d minutes', h.i)),
       h.name, printf('r%d', n.k), 'history-cost', 0, '2026-01-01T00:00:00Z'
FROM n, h ORDER BY 1;

INSERT INTO series (id, host, allocator, workload, point, metric)
SELECT ((h.i * 4 + a.i) * 20 + p.k) * 6 + m.i + 1, h.name, a.name, 'calloc-sweep',
       printf('size=%d', p.size), m.name
FROM h, a, p, m ORDER BY 1;

INSERT INTO samples (series_id, run_id, value)
SELECT s.id, r.id,
  CASE s.mi
    WHEN 0 THEN 30.0 * (1 + s.k) * (1 + 0.1 * s.ai)
                * (1 + 0.03 * ((abs(random()) % 2001) - 1000) / 1000.0)
                * (CASE WHEN s.hi = 0 AND s.ai = 0 AND s.k = 3 AND r.night >= :NIGHTS * 7 / 10
                        THEN 1.2 ELSE 1 END)
                * (CASE WHEN s.hi = 2 AND s.ai = 0 AND r.night >= :NIGHTS * 6 / 10 THEN 1.5
                        ELSE 1 END)
    WHEN 1 THEN (abs(random()) % 3) / 100.0
    WHEN 2 THEN 1600 + 10 * s.k
                + (CASE WHEN s.hi = 1 AND s.ai = 2 AND s.k = 10 AND r.night >= :NIGHTS * 4 / 10
                             AND r.night < :NIGHTS * 8 / 10 THEN 480 ELSE 0 END)
    WHEN 3 THEN 2500 + 10 * s.k
    WHEN 4 THEN 40
    ELSE 1600 + 10 * s.k + 4 * (abs(random()) % 2)
  END
FROM (SELECT id, (id - 1) % 6 AS mi, ((id - 1) / 6) % 20 AS k, ((id - 1) / 120) % 4 AS ai,
             (id - 1) / 480 AS hi, host FROM series) s
JOIN (SELECT id, host, (id - 1) / :HOSTS AS night FROM runs) r ON r.host = s.host
ORDER BY s.id, r.id;

-- the settings: 1-3 the kinds of host, 4-7 the allocators, 8 glibc perturbed
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
COMMIT;
