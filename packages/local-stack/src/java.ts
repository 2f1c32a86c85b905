// Which java runs the servers: $JAVA_HOME/bin/java when set, else PATH.
import { join } from 'node:path'

export function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
}
