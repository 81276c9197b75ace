module.exports = {
  ...require('../../jest.preset.cjs'),
  // Each test runs the built CLI as a child process against real servers on loopback.
  testTimeout: 60000,
};
