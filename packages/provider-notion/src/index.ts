export {
  notion, NOTION_DEFAULT_VERSION,
  type NotionAppCredentials, type NotionOwner, type NotionUserCredentialExtras,
} from './notion.js';
