export {
  github, refreshTokenExpiresAt,
  GITHUB_API_URL, GITHUB_API_VERSION, GITHUB_AUTHORIZATION_URL, GITHUB_TOKEN_URL,
  type GithubAppCredentials, type GithubExtras,
} from './github.js';
export { type GithubInstallationExtras, type GithubInstallationFlow, type InstallationAppCredentials } from './installation.js';
