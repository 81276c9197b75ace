// The config file of the walkthrough "Register a GitHub OAuth app and connect it from the CLI"
// (docs/cli.md). packages/cli/test/github-walkthrough.test.ts writes this region to an
// authmanager.config.ts and runs the CLI on it against the GitHub emulator.
// #region config
// authmanager.config.ts
import { github } from '@authmanager/provider-github';

// GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET come from the environment.
export default {
  providers: [github({ redirectUri: 'http://127.0.0.1/callback' })],
};
// #endregion config
