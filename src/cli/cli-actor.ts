import { hostname, userInfo } from 'node:os';

/** Who overrides params from the command line, as a run's record says it: the OS user and the host. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no user name (a container without /etc/passwd entry): the host alone
  }
  return `cli:${user}@${hostname()}`.slice(0, 255);
}
