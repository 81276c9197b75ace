import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkLazyImports } from '@authmanager/testing';

describe('cold start: what importing @authmanager/provider-google loads', () => {
  it('resolves neither the jose entry (service-account tokens; openid-client loads a few jose modules itself) nor google-auth-library (client()) before they are used', () => {
    const report = checkLazyImports({
      packageDir: fileURLToPath(new URL('..', import.meta.url)),
      factory: 'google',
      accessToken: 'ya29.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      heavy: /\/node_modules\/(jose\/dist\/webapi\/index\.js$|google-auth-library\/)/,
      control: 'jose',
    });
    expect({ ...report, heavyAfterControl: report.heavyAfterControl > 0 }).toEqual({ tokenLength: 41, heavyBeforeControl: [], heavyAfterControl: true });
  });
});
