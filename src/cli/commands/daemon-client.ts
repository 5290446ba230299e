/** Shared by the commands that talk to a running daemon. */
import { ControlClient } from '../../control/client.ts'
import { defaultDataDir } from '../../node/data-dir.ts'

/** Options every daemon-talking command takes. */
export interface DirOption {
  dir?: string
}

/** The control client of the daemon for `--dir` (or the default data dir). */
export function daemon(options: DirOption): Promise<ControlClient> {
  return ControlClient.open(options.dir ?? defaultDataDir())
}
