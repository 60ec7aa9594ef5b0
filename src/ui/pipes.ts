const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that goes away (`migrate … --help | head -1`, a closed pager) is not an error of
 * migrate: what is written after that is dropped, quietly, and the command finishes with its own
 * exit code. Any other stream error is still thrown. (Its own module, free of dependencies, so the
 * CLI can set it up before anything heavy is loaded.)
 */
export function ignoreClosedPipes(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      throw err;
    });
  }
}
