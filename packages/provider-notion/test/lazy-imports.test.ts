import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkLazyImports } from '@authmanager/testing';

describe('cold start: what importing @authmanager/provider-notion loads', () => {
  it('resolves no @notionhq/client (client()) before it is used', () => {
    const report = checkLazyImports({
      packageDir: fileURLToPath(new URL('..', import.meta.url)),
      factory: 'notion',
      accessToken: 'ntn_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      heavy: /\/node_modules\/@notionhq\/client\//,
      control: '@notionhq/client',
    });
    expect({ ...report, heavyAfterControl: report.heavyAfterControl > 0 }).toEqual({ tokenLength: 40, heavyBeforeControl: [], heavyAfterControl: true });
  });
});
