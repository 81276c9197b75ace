// docs/ does not depend on @authmanager/provider-github; this declares the one export the
// cli-github snippet uses so the docs type-check. The snippet runs for real in packages/cli's tests.
declare module '@authmanager/provider-github' {
  import type { ProviderRegistration } from '@authmanager/core';
  export function github(appCredentials?: { readonly redirectUri?: string; readonly clientId?: string; readonly clientSecret?: string }): ProviderRegistration;
}
