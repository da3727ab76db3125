package dev.delugefs.swarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block store on a local directory: {@code root/blocks} for sealed content, {@code root/tmp} for writers.
 * Writers hash in the background on a few threads of the store's own.
 */
final class FileBlockStore implements BlockStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileBlockStore.class);

    /**
     * A writer hashes on one thread at a time, so a second thread serves a second writer; more would only
     * take cores from the writers themselves on the small machines we run on.
     */
    private static final int HASH_THREADS = Math.min(2, Runtime.getRuntime().availableProcessors());

    private final BlockDirectory blocks;
    private final Path tmp;
    private final Set<TempContentWriter> openWriters = ConcurrentHashMap.newKeySet();
    /** Per content fetched piece by piece: its writers take turns ({@link #writePiece}). */
    private final Map<String, Object> pieceLocks = new ConcurrentHashMap<>();
    private final ExecutorService hashExecutor = newHashExecutor();
    private volatile boolean closed;

    private FileBlockStore(BlockDirectory blocks, Path tmp) {
        this.blocks = blocks;
        this.tmp = tmp;
    }

    private static ExecutorService newHashExecutor() {
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(HASH_THREADS, HASH_THREADS, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "swarm-hash-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        // An idle store, like most stores most of the time, then holds no threads.
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    static FileBlockStore open(Path root) throws IOException {
        Path blocksDir = Files.createDirectories(root.resolve("blocks"));
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        int discarded = deleteContents(tmp);
        if (discarded > 0) {
            LOG.info("discarded {} files left unsealed in {}", discarded, tmp);
        }
        return new FileBlockStore(new BlockDirectory(blocksDir), tmp);
    }

    private static int deleteContents(Path dir) throws IOException {
        List<Path> leftovers;
        try (Stream<Path> walk = Files.walk(dir)) {
            leftovers = walk.filter(p -> !p.equals(dir)).sorted(Comparator.reverseOrder()).toList();
        }
        for (Path leftover : leftovers) {
            Files.deleteIfExists(leftover);
        }
        return leftovers.size();
    }

    @Override
    public ContentWriter create(int pieceLength) throws IOException {
        checkPieceLength(pieceLength);
        ensureOpen();
        Path temp = Files.createTempFile(tmp, "w", ".part");
        FileChannel channel = openTemp(temp);
        return register(TempContentWriter.empty(temp, channel, pieceLength, blocks, hashExecutor,
                openWriters::remove));
    }

    @Override
    public ContentWriter sparseCopyOf(ContentInfo base) throws IOException {
        ensureOpen();
        Path temp = Files.createTempFile(tmp, "c", ".part");
        FileChannel channel = openTemp(temp);
        try {
            if (base.length() > 0) {
                channel.write(ByteBuffer.allocate(1), base.length() - 1);  // full length, sparse
            }
        } catch (IOException | RuntimeException e) {
            discard(temp, channel);
            throw e;
        }
        return register(TempContentWriter.copying(temp, channel, base, blocks, hashExecutor, openWriters::remove));
    }

    @Override
    public ContentWriter copyOf(ContentInfo base) throws IOException {
        ensureOpen();
        Path source = blocks.completePath(base.id());
        Path temp = Files.createTempFile(tmp, "c", ".part");
        FileChannel channel = openTemp(temp);
        try (FileChannel from = FileChannel.open(source, StandardOpenOption.READ)) {
            if (from.size() != base.length()) {
                throw new IOException(source + " holds " + from.size() + " bytes, its content info says "
                        + base.length());
            }
            for (long copied = 0; copied < base.length(); ) {
                long n = from.transferTo(copied, base.length() - copied, channel);
                if (n <= 0) {
                    throw new IOException(source + " ended at " + copied + " of " + base.length() + " bytes");
                }
                copied += n;
            }
        } catch (IOException | RuntimeException e) {
            discard(temp, channel);
            throw e;
        }
        return register(TempContentWriter.copying(temp, channel, base, blocks, hashExecutor,
                openWriters::remove));
    }

    @Override
    public boolean has(String contentId) {
        return blocks.hasComplete(contentId);
    }

    @Override
    public ContentReader open(String contentId) throws IOException {
        return FileContentReader.open(blocks.completePath(contentId));
    }

    @Override
    public Map<String, Instant> stored() throws IOException {
        return blocks.stored();
    }

    @Override
    public BitSet damagedPieces(ContentInfo content) throws IOException {
        BitSet damaged = new BitSet(content.pieceCount());
        try (ContentReader reader = open(content.id())) {
            if (reader.size() != content.length()) {
                damaged.set(0, content.pieceCount());
                return damaged;
            }
            java.security.MessageDigest digest = Sha1.newDigest();
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(content.pieceLength(), Math.max(1, content.length())));
            for (int piece = 0; piece < content.pieceCount(); piece++) {
                long offset = (long) piece * content.pieceLength();
                int length = (int) Math.min(content.pieceLength(), content.length() - offset);
                buffer.clear().limit(length);
                while (buffer.hasRemaining()) {
                    if (reader.read(buffer, offset + buffer.position()) < 0) {
                        break;
                    }
                }
                digest.update(buffer.array(), 0, buffer.position());
                if (buffer.hasRemaining() || !Arrays.equals(digest.digest(), content.pieceHash(piece))) {
                    damaged.set(piece);
                }
            }
        }
        return damaged;
    }

    @Override
    public void reopenDamaged(ContentInfo content, BitSet damaged) throws IOException {
        BitSet intact = new BitSet(content.pieceCount());
        intact.set(0, content.pieceCount());
        intact.andNot(damaged);
        blocks.reopenDamaged(content.id(), intact, content.pieceCount());
    }

    @Override
    public BitSet verifiedPieces(ContentInfo content) throws IOException {
        BitSet verified = new BitSet(content.pieceCount());
        if (blocks.hasComplete(content.id())) {
            verified.set(0, content.pieceCount());
            return verified;
        }
        Path bitmap = BlockDirectory.bitmapOf(blocks.pathOf(content.id()));
        byte[] bits = Files.readAllBytes(bitmap);  // NoSuchFileException: not partial either
        for (int piece = 0; piece < content.pieceCount() && piece / 8 < bits.length; piece++) {
            if ((bits[piece / 8] & (0x80 >>> (piece % 8))) != 0) {
                verified.set(piece);
            }
        }
        return verified;
    }

    @Override
    public ContentReader openPartial(String contentId) throws IOException {
        Path file = blocks.pathOf(contentId);
        if (!blocks.hasComplete(contentId) && !Files.exists(BlockDirectory.bitmapOf(file))) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "content is neither complete nor partial here");
        }
        return FileContentReader.open(file);
    }

    @Override
    public boolean writePiece(ContentInfo content, int piece, byte[] bytes) throws IOException {
        long offset = (long) piece * content.pieceLength();
        if (piece < 0 || piece >= content.pieceCount()
                || bytes.length != Math.min(content.pieceLength(), content.length() - offset)) {
            throw new IllegalArgumentException("piece " + piece + " of " + content.id() + " cannot be "
                    + bytes.length + " bytes");
        }
        if (!Arrays.equals(Sha1.of(bytes), content.pieceHash(piece))) {
            return false;
        }
        // one bitmap writer at a time, or a bit set by one is lost by the other's write of the same byte
        synchronized (pieceLocks.computeIfAbsent(content.id(), id -> new Object())) {
            if (blocks.hasComplete(content.id())) {
                return true;  // completed meanwhile by another fetch
            }
            Path file = blocks.pathOf(content.id());
            Path bitmapFile = BlockDirectory.bitmapOf(file);
            if (!Files.exists(bitmapFile)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, "content is not partial here");
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
                 PieceBitmap bitmap = PieceBitmap.open(bitmapFile, content.pieceCount())) {
                ByteBuffer src = ByteBuffer.wrap(bytes);
                while (src.hasRemaining()) {
                    channel.write(src, offset + src.position());
                }
                bitmap.set(piece);
                if (!bitmap.isComplete()) {
                    return true;
                }
            }
            blocks.completeFetched(content.id());
            pieceLocks.remove(content.id());
            return true;
        }
    }

    @Override
    public void startPartial(ContentInfo content) throws IOException {
        Path file = blocks.pathOf(content.id());
        synchronized (pieceLocks.computeIfAbsent(content.id(), id -> new Object())) {
            if (blocks.hasComplete(content.id()) || Files.exists(BlockDirectory.bitmapOf(file))) {
                return;
            }
            Files.createDirectories(file.getParent());
            // the bitmap first: a data file without one would look complete
            PieceBitmap.open(BlockDirectory.bitmapOf(file), content.pieceCount()).close();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                if (content.length() > 0 && channel.size() < content.length()) {
                    channel.write(ByteBuffer.allocate(1), content.length() - 1);  // sparse, at full length
                }
            }
        }
    }

    @Override
    public Map<String, Instant> partial() throws IOException {
        return blocks.partial();
    }

    @Override
    public boolean delete(String contentId) throws IOException {
        return blocks.delete(contentId);
    }

    @Override
    public void force(String contentId) throws IOException {
        blocks.force(contentId);
    }

    @Override
    public long storedBytes() throws IOException {
        return blocks.storedBytes();
    }

    @Override
    public long usedBytes() throws IOException {
        return blocks.storedBytes() + BlockDirectory.sizeOfTree(tmp);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        IOException failure = null;
        for (TempContentWriter writer : List.copyOf(openWriters)) {
            try {
                writer.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        // Closed writers have stopped their tasks; queued ones find nothing to do and end at once.
        hashExecutor.shutdown();
        try {
            if (!hashExecutor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("hashing threads still running 10 s after the store was closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Where content lives; the swarm serves and fetches it in place. */
    BlockDirectory blocks() {
        return blocks;
    }

    /** Whether the hashing threads have all ended; for tests. */
    boolean hashingTerminated() {
        return hashExecutor.isTerminated();
    }

    private ContentWriter register(TempContentWriter writer) {
        openWriters.add(writer);
        return writer;
    }

    private static FileChannel openTemp(Path temp) throws IOException {
        try {
            return FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    private static void discard(Path temp, FileChannel channel) {
        try (channel) {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            LOG.warn("could not delete temp file {}", temp, e);
        }
    }

    private static void checkPieceLength(int pieceLength) {
        if (pieceLength < MIN_PIECE_LENGTH || pieceLength > MAX_PIECE_LENGTH || Integer.bitCount(pieceLength) != 1) {
            throw new IllegalArgumentException("piece length must be a power of two from " + MIN_PIECE_LENGTH
                    + " to " + MAX_PIECE_LENGTH + ": " + pieceLength);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("block store is closed");
        }
    }
}
