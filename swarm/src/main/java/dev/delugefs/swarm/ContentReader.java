package dev.delugefs.swarm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Positional reads of sealed content; safe for concurrent use, and readers never block each other. */
public interface ContentReader extends Closeable {

    /** Fills {@code dst} from {@code offset} as far as the content goes; returns the bytes read, -1 at or after the end. */
    int read(ByteBuffer dst, long offset) throws IOException;

    long size();
}
