/**
 * How the local store's JVM is launched: at normal priority, or in the background (niceness
 * BACKGROUND_NICENESS through `nice`, which execs java in place, so the child's pid is the JVM's).
 * Where `nice` cannot be run (Windows), the JVM runs at normal priority.
 */
import { execFileSync } from 'node:child_process';
import { lazy } from '../domain/lazy';

/** Whether `nice` can be run here (POSIX systems have it; Windows does not); asked once per process. */
const hasNice = lazy((): boolean => {
  if (process.platform === 'win32') return false;
  try {
    execFileSync('nice', ['-n', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** The niceness of a store started in the background (see `startDynamoLocal`). */
export const BACKGROUND_NICENESS = 10;

/** The command and arguments that start java with `javaArgs`. */
export function javaCommand(javaArgs: string[], background: boolean): [string, string[]] {
  return background && hasNice() ? ['nice', ['-n', String(BACKGROUND_NICENESS), 'java', ...javaArgs]] : ['java', javaArgs];
}
