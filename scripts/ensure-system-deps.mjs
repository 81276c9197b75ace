// Before `pnpm test`: the tests start a real redis-server, PostgreSQL and MariaDB, drive Debian's
// Chromium and read the demo's terminal output through tmux. On a fresh
// Debian machine (as root) this installs them with apt-get; elsewhere it says what to install.
import { execFileSync, spawnSync } from 'node:child_process';

// Each entry: a shell test that succeeds when the program is there, and the Debian package with it.
// Debian keeps PostgreSQL's initdb/pg_ctl off PATH (/usr/lib/postgresql/<major>/bin) and mariadbd in /usr/sbin.
const needed = [
  ['command -v redis-server', 'redis-server'],
  ['command -v redis-cli', 'redis-server'],
  ['command -v chromium', 'chromium'],
  ['command -v tmux', 'tmux'],
  ['ls /usr/lib/postgresql/*/bin/initdb', 'postgresql'],
  ['command -v mariadbd || test -x /usr/sbin/mariadbd', 'mariadb-server'],
].filter(([test]) => spawnSync('sh', ['-c', `${test} >/dev/null 2>&1`]).status !== 0).map(([, pkg]) => pkg);
const packages = [...new Set(needed)];
if (packages.length > 0) {
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (!root || !apt) {
    console.error(`The tests need ${packages.join(' and ')}: install them (Debian: apt-get install -y ${packages.join(' ')}) and run again.`);
    process.exit(1);
  }
  console.log(`Installing ${packages.join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}
