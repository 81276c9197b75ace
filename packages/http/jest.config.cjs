module.exports = {
  ...require('../../jest.preset.cjs'),
  // The Next.js test builds an app once (about a minute); the others take seconds.
  testTimeout: 60000,
};
