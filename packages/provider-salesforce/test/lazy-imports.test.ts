import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkLazyImports } from '@authmanager/testing';

describe('cold start: what importing @authmanager/provider-salesforce loads', () => {
  it('resolves no jsforce (client()) before it is used', () => {
    const report = checkLazyImports({
      packageDir: fileURLToPath(new URL('..', import.meta.url)),
      factory: 'salesforce',
      accessToken: '00Daaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      heavy: /\/node_modules\/jsforce\//,
      control: 'jsforce',
    });
    expect({ ...report, heavyAfterControl: report.heavyAfterControl > 0 }).toEqual({ tokenLength: 38, heavyBeforeControl: [], heavyAfterControl: true });
  });
});
