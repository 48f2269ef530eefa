"""Copies SQLite's write-ahead log into the database file on a thread of its own.

SQLite checkpoints inside the commit that takes the log past a size (`wal_autocheckpoint`), so the
indexer's writer spent a good part of a backfill copying pages into the file and syncing it instead
of writing the next batch. After each batch this thread runs a passive checkpoint from a connection
of its own, which waits for no one and blocks no writer, so the copy and the sync overlap the next
batch. The writer's own checkpoints still come at the same size: they find most of the log copied
already, and let the log start again from its beginning, which a checkpoint racing the writer
never does; so the log stays as short as before. A crash loses nothing: the log holds whatever the
file does not yet.
"""

import logging
import sqlite3
import threading

log = logging.getLogger("indexer")


class WalCheckpointer:
    def __init__(self, path: str) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Asks for a checkpoint of everything committed so far; returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="indexer-checkpoint", daemon=True)
            self._thread.start()
        self._wanted.set()

    def close(self) -> None:
        """Lets a checkpoint in progress finish, then stops the thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._wanted.set()
        self._thread.join()
        self._thread = None

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path)
        except sqlite3.Error as error:
            # The writer's own checkpoints go on: the log is only longer between them.
            log.warning("event=checkpointer_stopped error=%s", error)
            return
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    # The log keeps every page until a later checkpoint copies it: nothing is lost.
                    log.warning("event=checkpoint_failed error=%s", error)
        finally:
            connection.close()
