module.exports = {
  ...require('../../jest.preset.cjs'),
  // Each test file starts the servers it needs (PostgreSQL ~1 s, MariaDB ~1 s) in a temporary
  // directory on a free loopback port, and stops them at the end.
};
