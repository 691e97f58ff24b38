package io.edgestack.tunnel.mux;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.FrameType;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * One request/response exchange on a {@link Mux}. Writes may come from any thread (they are handed to the
 * connection's event loop in order); handlers are called on the connection's event loop.
 *
 * <p>Flow control: a side may send at most {@link Mux#INITIAL_WINDOW} bytes that the other side has not yet given back
 * with WINDOW frames, and gives bytes back only once it has passed them on ({@link #consumed(Buffer)}). So a slow reader
 * holds at most one window of memory and stalls nothing but its own stream.
 *
 * <p>Received bytes may sit in the connection's reference-counted read buffers (no copy is made of them): a buffer given
 * to the {@link #handler data handler} belongs to this stream until the handler hands it back with
 * {@link #consumed(Buffer)}, which it must do once it has passed the bytes on (written them), and not use it after.
 */
public final class MuxStream {

    public record Reset(int code, String reason) {
    }

    /** Received bytes and, when they are in a connection's read buffer, the reference-counted memory holding them. */
    private record Chunk(Buffer data, ByteBuf memory) {
    }

    /** Given on the connection's event loop when the OPEN frame is sent, so ids go out in increasing order. */
    int id;
    private final Mux mux;

    // sending side: touched on the connection's event loop, except `queued`
    private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
    private final AtomicLong queued = new AtomicLong();
    private long sendWindow = Mux.INITIAL_WINDOW;
    private boolean finQueued;
    private boolean finSent;
    /** The encoded trailer fields that end this side (a TRAILERS frame in place of the last DATA's FIN), or null. */
    private Buffer trailersQueued;
    /** Set by a write that filled the queue (on the writer's thread); the drain handler runs once it empties. */
    private final java.util.concurrent.atomic.AtomicBoolean drainWanted = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile Handler<Void> drainHandler;

    // receiving side
    private long receiveCredit = Mux.INITIAL_WINDOW;
    private long consumedUnacknowledged;
    private boolean remoteEnded;
    private final ArrayDeque<Chunk> inbound = new ArrayDeque<>();
    /** Given to the data handler, in memory to release when the handler is done with them ({@link #consumed(Buffer)}). */
    private final ArrayDeque<Chunk> lent = new ArrayDeque<>();
    private boolean endDelivered;
    /** The peer's trailer fields, from its TRAILERS frame. */
    private MultiMap trailers;
    private Handler<Buffer> dataHandler;
    private Handler<Void> endHandler;
    private Handler<Heads.ResponseHead> responseHandler;
    private Handler<Heads.ResponseHead> informationalHandler;
    private Handler<Reset> resetHandler;

    private boolean responseReceived;
    private volatile boolean closed;

    MuxStream(int id, Mux mux) {
        this.id = id;
        this.mux = mux;
    }

    public int id() {
        return id;
    }

    public boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ handlers (set before data can arrive or on the loop)

    public MuxStream responseHandler(Handler<Heads.ResponseHead> handler) {
        this.responseHandler = handler;
        return this;
    }

    /** Interim answers (103 Early Hints and other 1xx but 101) that come before the response head; dropped without one. */
    public MuxStream informationalHandler(Handler<Heads.ResponseHead> handler) {
        this.informationalHandler = handler;
        return this;
    }

    public MuxStream resetHandler(Handler<Reset> handler) {
        this.resetHandler = handler;
        return this;
    }

    public MuxStream drainHandler(Handler<Void> handler) {
        this.drainHandler = handler;
        return this;
    }

    /**
     * Body bytes from the peer; bytes that arrived before the handler was set are delivered at once, in order. Each
     * buffer must be handed back with {@link #consumed(Buffer)} once passed on.
     */
    public MuxStream handler(Handler<Buffer> handler) {
        mux.onLoop(() -> {
            this.dataHandler = handler;
            deliverInbound();
        });
        return this;
    }

    public MuxStream endHandler(Handler<Void> handler) {
        mux.onLoop(() -> {
            this.endHandler = handler;
            deliverInbound();
        });
        return this;
    }

    // ------------------------------------------------------------------ sending (any thread)

    /** Queues body bytes; check {@link #writeQueueFull()} after and wait for the drain handler when it is. */
    public void write(Buffer data) {
        write(data, null);
    }

    /**
     * Queues body bytes held in reference-counted {@code memory}, which the stream takes over: it is released once the
     * bytes are written to the tunnel connection (or dropped, when the stream ends first).
     */
    public void write(ByteBuf memory) {
        write(Buffer.buffer(memory), memory);
    }

    private void write(Buffer data, ByteBuf memory) {
        if (data.length() == 0) {
            ReferenceCountUtil.release(memory);
            return;
        }
        if (queued.addAndGet(data.length()) >= Mux.STREAM_QUEUE_HIGH) {
            drainWanted.set(true);
        }
        mux.onLoop(() -> {
            if (closed || finQueued) {
                queued.addAndGet(-data.length());
                ReferenceCountUtil.release(memory);
                return;
            }
            pending.add(new Chunk(data, memory));
            pump();
        });
    }

    /** Ends this direction of the stream once everything queued is sent. */
    public void end() {
        end(null);
    }

    /**
     * Ends the connector's answer with its trailer fields (a TRAILERS frame carrying FIN, after the body), when there are
     * any and the edge said in its HELLO that it takes them ({@link Mux#peerTakesTrailers()}); else as {@link #end()}.
     * Fields the edge would refuse (a name that is not a token, a CR or LF in a value) end it without them.
     */
    public void end(MultiMap trailers) {
        Buffer payload = null;
        if (trailers != null && !trailers.isEmpty() && mux.side() == Mux.Side.CONNECTOR && mux.peerTakesTrailers()) {
            try {
                payload = Heads.encodeTrailers(trailers);
            } catch (io.edgestack.tunnel.protocol.UncarriableHead refused) {
                payload = null;
            }
        }
        Buffer fields = payload;
        mux.onLoop(() -> {
            if (closed || finQueued) {
                return;
            }
            finQueued = true;
            trailersQueued = fields;
            pump();
        });
    }

    /** The trailer fields the connector ended the answer with (on the edge), or null: known once the end is delivered. */
    public MultiMap trailers() {
        return trailers;
    }

    public boolean writeQueueFull() {
        return queued.get() >= Mux.STREAM_QUEUE_HIGH;
    }

    /**
     * An interim answer of the origin's (103 Early Hints) before the answer head, if the edge said in its HELLO that it
     * takes them ({@link Mux#peerTakesInformational()}; an edge older than that would close the connection on a second
     * RESPONSE frame); false when it was not sent.
     *
     * @throws io.edgestack.tunnel.protocol.UncarriableHead when the peer would refuse the head
     */
    public boolean inform(Heads.ResponseHead head) {
        if (!isInformational(head.status())) {
            throw new IllegalArgumentException("status " + head.status() + " is not an interim one");
        }
        if (!mux.peerTakesInformational()) {
            return false;
        }
        Buffer payload = Heads.encode(head);
        mux.onLoop(() -> {
            if (!closed) {
                mux.send(Frame.of(FrameType.RESPONSE, 0, id, payload));
            }
        });
        return true;
    }

    /** 1xx but 101, which ends the exchange's HTTP part as a final answer does. */
    static boolean isInformational(int status) {
        return status >= 100 && status < 200 && status != 101;
    }

    /** The connector's answer head. */
    public void respond(Heads.ResponseHead head, boolean fin) {
        Buffer payload = Heads.encode(head);
        mux.onLoop(() -> {
            if (closed) {
                return;
            }
            mux.send(Frame.of(FrameType.RESPONSE, fin ? Frame.FIN : 0, id, payload));
            if (fin) {
                finQueued = true;
                finSent = true;
                closeIfDone();
            }
        });
    }

    /**
     * The data handler is done with {@code chunk} (it has been written on): its bytes go back to the peer's window and
     * its memory is released. Called from any thread, also after the stream has ended.
     */
    public void consumed(Buffer chunk) {
        mux.onLoop(() -> {
            giveBack(chunk);
            if (closed || remoteEnded) {
                return;
            }
            consumedUnacknowledged += chunk.length();
            if (consumedUnacknowledged >= Mux.WINDOW_UPDATE_THRESHOLD) {
                receiveCredit += consumedUnacknowledged;
                mux.send(Frame.of(FrameType.WINDOW, 0, id, Buffer.buffer(4).appendInt((int) consumedUnacknowledged)));
                consumedUnacknowledged = 0;
            }
        });
    }

    /** Abandons the stream: the peer is told with a RESET frame; no handler is called. */
    public void reset(int code, String reason) {
        mux.onLoop(() -> {
            if (closed) {
                return;
            }
            mux.send(Frame.codeAndReason(FrameType.RESET, id, code, reason));
            close();
        });
    }

    // ------------------------------------------------------------------ on the loop

    /** The OPEN frame carried FIN: this direction is over without a DATA frame. */
    void finSentWithHead() {
        finQueued = true;
        finSent = true;
    }

    void pump() {
        while (!pending.isEmpty() && sendWindow > 0) {
            if (mux.writeBlocked(this)) {
                return;
            }
            Chunk head = pending.poll();
            int length = head.data().length();
            int n = (int) Math.min(Math.min(length, sendWindow), Mux.MAX_DATA);
            Buffer piece = head.data();
            ByteBuf pieceMemory = head.memory();
            if (n < length) { // the rest stays queued, holding its own reference to the memory
                piece = head.data().slice(0, n);
                pending.addFirst(new Chunk(head.data().slice(n, length), head.memory()));
                if (pieceMemory != null) {
                    pieceMemory.retain();
                }
            }
            sendWindow -= n;
            mux.dataSent(n);
            boolean fin = finQueued && pending.isEmpty() && trailersQueued == null;
            mux.send(Frame.of(FrameType.DATA, fin ? Frame.FIN : 0, id, piece), pieceMemory);
            finSent |= fin;
            queued.addAndGet(-n);
        }
        if (pending.isEmpty() && finQueued && !finSent) {
            mux.send(trailersQueued != null ? Frame.of(FrameType.TRAILERS, Frame.FIN, id, trailersQueued)
                    : Frame.of(FrameType.DATA, Frame.FIN, id, Buffer.buffer()));
            finSent = true;
        }
        if (queued.get() < Mux.STREAM_QUEUE_HIGH / 2 && drainWanted.compareAndSet(true, false)) {
            Handler<Void> handler = drainHandler;
            if (handler != null) {
                handler.handle(null);
            }
        }
        closeIfDone();
    }

    void onResponse(Heads.ResponseHead head, boolean fin) {
        if (responseReceived) {
            throw new ProtocolException("second RESPONSE on stream " + id);
        }
        if (isInformational(head.status())) {
            if (fin) {
                throw new ProtocolException("interim RESPONSE " + head.status() + " with FIN on stream " + id);
            }
            if (informationalHandler != null && !closed) {
                informationalHandler.handle(head);
            }
            return;
        }
        responseReceived = true;
        if (responseHandler != null) {
            responseHandler.handle(head);
        }
        if (fin) {
            onData(Buffer.buffer(), true);
        }
    }

    /** A TRAILERS frame: the answer's trailer fields, which end it. */
    void onTrailers(MultiMap fields) {
        if (!responseReceived) {
            throw new ProtocolException("TRAILERS on stream " + id + " before its RESPONSE");
        }
        if (remoteEnded) {
            throw new ProtocolException("TRAILERS on stream " + id + " after its end");
        }
        trailers = fields;
        onData(Buffer.buffer(), true);
    }

    /** Bytes from a DATA frame (or the end of the peer's side); the stream claims the memory holding them. */
    void onData(Buffer data, boolean fin) {
        if (remoteEnded) {
            throw new ProtocolException("DATA on stream " + id + " after its end");
        }
        if (mux.side() == Mux.Side.EDGE && !responseReceived) {
            throw new ProtocolException("DATA on stream " + id + " before its RESPONSE");
        }
        if (data.length() > receiveCredit) {
            throw new ProtocolException("stream " + id + " sent " + data.length() + " bytes past its window of "
                    + receiveCredit);
        }
        receiveCredit -= data.length();
        if (data.length() > 0 && !closed) {
            inbound.add(new Chunk(data, mux.claimMemory()));
        }
        remoteEnded |= fin;
        deliverInbound();
    }

    /** DATA bytes this side sent on the stream that the peer has not given back yet (negative if it granted more). */
    long notGivenBack() {
        return Mux.INITIAL_WINDOW - sendWindow;
    }

    void onWindow(int increment) {
        sendWindow += increment;
        if (sendWindow > Integer.MAX_VALUE) {
            throw new ProtocolException("window of stream " + id + " grew past 2^31-1");
        }
        pump();
    }

    void onReset(Reset reset) {
        if (closed) {
            return;
        }
        close();
        if (resetHandler != null) {
            resetHandler.handle(reset);
        }
    }

    private void deliverInbound() {
        if (dataHandler != null) {
            while (!inbound.isEmpty() && !closed) {
                Chunk chunk = inbound.poll();
                if (chunk.memory() != null) {
                    lent.add(chunk);
                }
                dataHandler.handle(chunk.data());
            }
        }
        if (remoteEnded && inbound.isEmpty() && !endDelivered && endHandler != null && !closed) {
            endDelivered = true;
            endHandler.handle(null);
        }
        closeIfDone();
    }

    private void closeIfDone() {
        if (!closed && finSent && remoteEnded && inbound.isEmpty() && (endDelivered || endHandler == null)) {
            close();
        }
    }

    /** Releases the memory of a lent chunk (nearly always the oldest: writes complete in order). */
    private void giveBack(Buffer data) {
        for (var it = lent.iterator(); it.hasNext();) {
            Chunk chunk = it.next();
            if (chunk.data() == data) {
                it.remove();
                chunk.memory().release();
                return;
            }
        }
    }

    /** Empties {@code chunks}, releasing the memory of those that have some. */
    private static void drop(ArrayDeque<Chunk> chunks) {
        for (Chunk chunk : chunks) {
            ReferenceCountUtil.release(chunk.memory());
        }
        chunks.clear();
    }

    private void close() {
        closed = true;
        drop(pending);
        drop(inbound); // lent chunks are released as their writes complete (consumed)
        queued.set(0);
        mux.removed(this);
    }
}
