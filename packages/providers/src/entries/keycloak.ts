import { oidc } from '@authmanager/core';

/**
 * Keycloak: OpenID Connect on a realm of a (self-hosted) Keycloak server, `https://{host}/realms/{realm}`
 * (discovery), the code flow with PKCE, offline tokens with `offline_access`, RFC 7009 revocation
 * and RFC 7662 introspection from the metadata, client credentials (service accounts).
 * App credentials: `KEYCLOAK_CLIENT_ID`, `KEYCLOAK_CLIENT_SECRET`, `KEYCLOAK_REDIRECT_URI`,
 * `KEYCLOAK_HOST`, `KEYCLOAK_REALM` (or the whole issuer in `KEYCLOAK_ISSUER`).
 * @see https://www.keycloak.org/securing-apps/oidc-layers
 */
export const keycloak = oidc({
  id: 'keycloak',
  displayName: 'Keycloak',
  issuer: 'https://{host}/realms/{realm}',
  variables: {
    host: {
      from: 'app',
      description: 'Host (and port) of your Keycloak server',
      pattern: '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?',
      example: 'sso.example.com',
    },
    realm: { from: 'app', description: 'Realm name', pattern: '[A-Za-z0-9._-]+', example: 'myrealm' },
  },
  revocation: true,
  introspection: true,
  clientCredentials: true,
  refreshTokenRotation: 'rotates',
  refreshTokenIdleLifetimeSeconds: 2592000,
  documentation: {
    urls: [
      'https://www.keycloak.org/securing-apps/oidc-layers',
      'https://docs.redhat.com/en/documentation/red_hat_build_of_keycloak/26.4/html/server_administration_guide/timeouts',
      'https://docs.redhat.com/en/documentation/red_hat_build_of_keycloak/26.4/html/server_administration_guide/offline-access',
    ],
    checkedOn: '2026-12-01',
    notes: [
      'Keycloak is self-hosted, so `{host}` cannot be bounded by `hosts`: the host is whatever server the app names, checked only to be a host name (and port). Both values come from app credentials, never from a connection.',
      'Older (WildFly-based) distributions serve realms under `/auth/realms/{realm}`; set `KEYCLOAK_ISSUER` to the full issuer for those, or for an `http://` development server.',
      '`offline_access` gives an offline token: not bound to the SSO session, but revoked after Offline Session Idle (realm default 30 days, the idle lifetime declared here) without a refresh; Offline Session Max applies only when "Offline Session Max Limited" is on (default 60 days). The user needs the realm `offline_access` role.',
      'Refresh responses carry a new refresh token; with the realm\'s "Revoke Refresh Token" on, each refresh token works once (otherwise the old one stays valid until it expires).',
      'Client credentials need "Service accounts roles" enabled on the client.',
    ],
  },
});
