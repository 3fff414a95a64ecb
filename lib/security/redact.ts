/**
 * Secrets out of everything we write or print: the command line recorded in run files and "resume with" lines,
 * error lines, fleet messages. Three kinds are hidden:
 * - credentials in URLs (`redis://:PW@host`, `http://user:PW@host`, `https://TOKEN@host`) → `user:***@`;
 * - token-like query parameters (`?token=…`, `&api_key=…`, `password=…`, `secret=…`, `key=…`) → `token=***`;
 * - the values of the secrets in the environment (variables named *_KEY, *_TOKEN, *_SECRET, *PASSWORD*, and
 *   POLYGLOT_QUEUE_URL's password), wherever they appear.
 */

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#'"]*)@/gi;
const TOKEN_PARAMS =
  /([?&;](?:access_token|api[-_]?key|apikey|auth|key|password|passwd|pwd|secret|token)=)[^&#\s'"]*/gi;
const SECRET_NAMES = /(_KEY|_TOKEN|_SECRET|PASSWORD|_PASS)$/i;
/** shorter values are not hidden where they appear in text (they would hide ordinary words) */
const MIN_SECRET_LENGTH = 6;

/** `scheme://user:password@` → `scheme://user:***@`; `scheme://token@` → `scheme://***@`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:***@` : `${scheme}***@`;
  });
}

/** The secret values of an environment: what variables named like keys, tokens and passwords hold. */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (SECRET_NAMES.test(name) && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
    // a URL in the environment (POLYGLOT_QUEUE_URL, REDIS_URL, …): its password
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) {
      try {
        const url = new URL(value);
        for (const part of [url.password, url.username]) {
          const decoded = decodeURIComponent(part);
          if (decoded.length >= MIN_SECRET_LENGTH) secrets.add(decoded);
          if (part.length >= MIN_SECRET_LENGTH) secrets.add(part);
        }
      } catch {
        // not a URL after all
      }
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** Text with URL credentials, token parameters and the environment's secrets replaced by `***`. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = redactUrlCredentials(text).replace(TOKEN_PARAMS, "$1***");
  for (const secret of environmentSecrets(env)) out = out.split(secret).join("***");
  return out;
}
