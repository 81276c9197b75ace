import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkLazyImports } from '@authmanager/testing';

describe('cold start: what importing @authmanager/provider-github loads', () => {
  it('resolves neither the jose entry (GitHub App installation tokens; openid-client loads a few jose modules itself) nor Octokit (client()) before they are used', () => {
    const report = checkLazyImports({
      packageDir: fileURLToPath(new URL('..', import.meta.url)),
      factory: 'github',
      accessToken: 'gho_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      heavy: /\/node_modules\/(jose\/dist\/webapi\/index\.js$|@octokit\/)/,
      control: 'jose',
    });
    expect({ ...report, heavyAfterControl: report.heavyAfterControl > 0 }).toEqual({ tokenLength: 40, heavyBeforeControl: [], heavyAfterControl: true });
  });
});
