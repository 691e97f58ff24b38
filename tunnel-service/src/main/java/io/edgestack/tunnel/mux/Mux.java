package io.edgestack.tunnel.mux;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.FrameType;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.impl.WebSocketImplBase;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.json.JsonObject;

/**
 * One tunnel connection: a WebSocket carrying many streams (see docs/tunnel-protocol.md). Its state lives on the
 * WebSocket's event loop; the public methods may be called from any thread.
 *
 * <p>It closes itself, with a reason, when the peer breaks the protocol, floods it with control frames, stops sending
 * anything for {@code heartbeat-misses} heartbeat intervals, or stops reading for as long.
 */
public final class Mux {

    public static final int INITIAL_WINDOW = 1024 * 1024;
    static final int WINDOW_UPDATE_THRESHOLD = INITIAL_WINDOW / 4;
    static final int MAX_DATA = Frame.MAX_PAYLOAD;
    static final int STREAM_QUEUE_HIGH = 64 * 1024;
    /** WebSocket close reasons are at most 123 bytes of UTF-8. */
    private static final int MAX_CLOSE_REASON = 120;
    private static final Logger LOG = Logger.getLogger(Mux.class);

    public enum Side {
        EDGE, CONNECTOR
    }

    public record Settings(Duration heartbeatInterval, int heartbeatMisses, int maxStreams, int maxControlFramesPerSecond) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(5), 3, 1000, 2000);
        }
    }

    /** What the owner of the connection hears about it. Called on the connection's event loop. */
    public interface Listener {
        /** Connector side: the edge opened a stream. Set the stream's handlers here or soon after. */
        default void opened(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade) {
            stream.reset(ResetCodes.REFUSED, "this side takes no streams");
        }

        /**
         * The peer's first frame arrived, so it is ready to read ours: the edge registers the connection only then (a
         * frame sent before the peer has set its handlers could be lost).
         */
        default void firstFrame() {
        }

        /** Connector side: the edge registered the session. */
        default void hello(JsonObject hello) {
        }

        /** The peer will open no new streams here and wants no new ones. */
        default void goingAway(String reason) {
        }

        /** The connection is gone; every open stream has had its reset handler called. */
        void closed(String reason);
    }

    private final WebSocketBase ws;
    private final Context context;
    private final EventLoop eventLoop;
    private final Vertx vertx;
    private final Side side;
    /** The HELLO field by which an edge says it takes interim RESPONSE frames; a connector sends none to an edge without it. */
    public static final String INFORMATIONAL = "informational";
    /**
     * The HELLO field by which an edge says it takes TRAILERS frames (an answer's trailer fields, gRPC's status among
     * them); a connector sends none to an edge without it, which would close the connection on an unknown frame type.
     */
    public static final String TRAILERS = "trailers";
    private volatile boolean peerTakesInformational;
    private volatile boolean peerTakesTrailers;
    private final Settings settings;
    private final Listener listener;
    private final MuxObserver observer;
    private final String name;

    private final Map<Integer, MuxStream> streams = new HashMap<>();
    private final Set<MuxStream> blocked = new LinkedHashSet<>();
    private int lastLocalStream;
    private final AtomicInteger active = new AtomicInteger();
    private int highestPeerStream;
    private volatile boolean peerGoingAway;
    private volatile boolean goingAway;
    private volatile boolean closed;
    private volatile String closeReason;
    private volatile long roundTripNanos = -1;
    private long lastFrameNanos = System.nanoTime();
    private long writeBlockedSinceNanos = -1;
    private long controlWindowStart = System.nanoTime();
    private int controlFrames;
    private long heartbeatTimer = -1;
    private boolean heardFrom;
    /** DATA bytes sent on this connection that the peer has not given back with WINDOW, over all streams, ended or not. */
    private long notGivenBack;
    private Buffer fragments; // a fragmented binary message being gathered
    private ByteBuf unclaimed; // memory of the direct message being handled, until a stream claims it
    /** Where Vert.x writes this WebSocket's frames; frames in direct memory are written here as they are. */
    private final ChannelHandlerContext channel;

    /** Must be created on the WebSocket's event loop, before any message is handled. */
    public Mux(Vertx vertx, WebSocketBase ws, Side side, Settings settings, Listener listener, MuxObserver observer,
            String name) {
        this.vertx = vertx;
        this.ws = ws;
        this.context = vertx.getOrCreateContext();
        this.eventLoop = ((ContextInternal) context).nettyEventLoop();
        this.side = side;
        this.settings = settings;
        this.listener = listener;
        this.observer = observer;
        this.name = name;
        // Frames, not binaryMessageHandler: Vert.x's message aggregator copies every message, even an unfragmented one.
        ws.frameHandler(this::onWebSocketFrame);
        ws.exceptionHandler(error -> fail("connection error: " + error.getMessage()));
        ws.closeHandler(v -> shutdown(ws.closeReason() != null ? "closed by the peer: " + ws.closeReason()
                : "closed by the peer (status " + ws.closeStatusCode() + ")"));
        ws.drainHandler(v -> unblock());
        this.channel = ws instanceof WebSocketImplBase<?> impl ? impl.channelHandlerContext() : null;
        if (channel != null) {
            ChannelPipeline pipeline = channel.pipeline();
            // Whole binary messages straight from Netty, without Vert.x's heap copy (see DirectFrames).
            pipeline.addBefore(channel.name(), DirectFrames.NAME, new DirectFrames(this));
            // Their payloads as slices of the socket reads, without Netty's decoder's copy (see UnmaskedFrames).
            UnmaskedFrames.install(pipeline, Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD);
            FlushBatch.install(pipeline);
        }
        long interval = settings.heartbeatInterval().toMillis();
        heartbeatTimer = vertx.setPeriodic(interval, interval, id -> heartbeat());
        send(Frame.of(FrameType.PING, 0, 0, Buffer.buffer(8).appendLong(System.nanoTime()))); // "ready" and a first RTT
    }

    /** Whether the edge's HELLO said it takes interim RESPONSE frames (103 Early Hints) before a stream's answer. */
    public boolean peerTakesInformational() {
        return peerTakesInformational;
    }

    /** Whether the edge's HELLO said it takes TRAILERS frames. */
    public boolean peerTakesTrailers() {
        return peerTakesTrailers;
    }

    public Side side() {
        return side;
    }

    public String name() {
        return name;
    }

    /** The event loop this connection lives on. */
    public EventLoop eventLoop() {
        return eventLoop;
    }

    /** True when the caller runs on this connection's event loop thread (no hop needed to use it). */
    public boolean isLocal() {
        return eventLoop.inEventLoop();
    }

    /** True when this connection's frames are decoded without copying their payloads ({@link UnmaskedFrames}). */
    public boolean decodesFramesInPlace() {
        return channel != null && channel.pipeline().get(UnmaskedFrames.NAME) != null;
    }

    public int activeStreams() {
        return active.get();
    }

    /** Last heartbeat round trip, or -1 before the first PONG. */
    public long roundTripNanos() {
        return roundTripNanos;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Open, and neither side has announced it is going away: new streams may be opened here. */
    public boolean takesNewStreams() {
        return !closed && !goingAway && !peerGoingAway;
    }

    // ------------------------------------------------------------------ any thread

    /**
     * Edge side: opens a stream carrying {@code head}. {@code setup} sets the stream's handlers before the OPEN frame
     * leaves, so no answer can arrive before them.
     */
    public MuxStream open(Heads.RequestHead head, boolean fin, boolean upgrade, io.vertx.core.Handler<MuxStream> setup) {
        Buffer payload = Heads.encode(head);
        MuxStream stream = new MuxStream(0, this);
        active.incrementAndGet();
        setup.handle(stream);
        onLoop(() -> {
            stream.id = ++lastLocalStream;
            if (closed) {
                stream.onReset(new MuxStream.Reset(ResetCodes.CONNECTION_LOST, closeReason));
                return;
            }
            streams.put(stream.id, stream);
            observer.streamOpened();
            int flags = (fin ? Frame.FIN : 0) | (upgrade ? Frame.UPGRADE : 0);
            send(Frame.of(FrameType.OPEN, flags, stream.id, payload));
            if (fin) {
                stream.finSentWithHead();
            }
        });
        return stream;
    }

    public void hello(JsonObject hello) {
        onLoop(() -> send(Frame.of(FrameType.HELLO, 0, 0, hello.toBuffer())));
    }

    /** Announces that no new streams will be taken here; open streams go on. */
    public void goAway(String reason) {
        onLoop(() -> {
            if (closed || goingAway) {
                return;
            }
            goingAway = true;
            send(Frame.codeAndReason(FrameType.GOAWAY, 0, highestPeerStream, reason));
        });
    }

    /** Closes the connection; open streams are reset with {@code reason}. */
    public void close(String reason) {
        onLoop(() -> {
            if (!closed) {
                ws.close((short) 1000, truncate(reason));
                shutdown(reason);
            }
        });
    }

    /** Runs {@code task} on the connection's event loop: at once when already there (any context of that thread). */
    void onLoop(Runnable task) {
        if (eventLoop.inEventLoop()) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }

    // ------------------------------------------------------------------ on the loop

    void send(Frame frame) {
        send(frame, null);
    }

    /**
     * Sends {@code frame}. {@code memory}, when not null, is a reference to the reference-counted direct memory holding
     * its payload, which this takes over: the frame is then written to the channel as it is (Vert.x would copy it).
     */
    void send(Frame frame, ByteBuf memory) {
        if (closed) {
            ReferenceCountUtil.release(memory);
            return;
        }
        if (memory != null && channel != null) {
            ByteBuf payload = ((BufferImpl) frame.payload()).byteBuf(); // a view of memory, released with the frame
            ByteBuf bytes = frame.encodeAround(channel.alloc(), payload);
            observer.bytesSent(bytes.readableBytes());
            channel.writeAndFlush(new BinaryWebSocketFrame(bytes), channel.voidPromise());
            return;
        }
        Buffer bytes = frame.encode();
        observer.bytesSent(bytes.length());
        if (memory == null) {
            ws.writeBinaryMessage(bytes);
        } else {
            ws.writeBinaryMessage(bytes).onComplete(written -> memory.release());
        }
    }

    /** A stream sent {@code bytes} of DATA (on the loop). */
    void dataSent(int bytes) {
        notGivenBack += bytes;
    }

    /** True (and the stream is parked until the WebSocket drains) while the connection's write queue is full. */
    boolean writeBlocked(MuxStream stream) {
        if (ws.writeQueueFull()) {
            blocked.add(stream);
            if (writeBlockedSinceNanos < 0) {
                writeBlockedSinceNanos = System.nanoTime();
            }
            return true;
        }
        return false;
    }

    private void unblock() {
        writeBlockedSinceNanos = -1;
        List<MuxStream> waiting = new ArrayList<>(blocked);
        blocked.clear();
        for (MuxStream stream : waiting) {
            if (!stream.isClosed()) {
                stream.pump();
            }
        }
    }

    void removed(MuxStream stream) {
        if (streams.remove(stream.id) != null) {
            observer.streamClosed();
        }
        blocked.remove(stream);
        active.decrementAndGet();
    }

    /**
     * One WebSocket frame: an unfragmented binary message (what peers send: one tunnel frame per message) is handled as
     * it is; a fragmented one is gathered first, up to one tunnel frame's size; a text message is a protocol error.
     */
    private void onWebSocketFrame(WebSocketFrame frame) {
        if (frame.isText()) {
            fail("text message on a tunnel connection (frames are binary)");
            return;
        }
        if (frame.isBinary() && frame.isFinal()) {
            onMessage(frame.binaryData());
            return;
        }
        if (frame.isBinary()) {
            fragments = Buffer.buffer();
        } else if (!frame.isContinuation() || fragments == null) {
            return; // ping, pong and close are answered by Vert.x; the rest of a refused text message is dropped
        }
        if (fragments.length() + frame.binaryData().length() > Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD) {
            fragments = null;
            fail("fragmented message larger than " + (Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD) + " bytes");
            return;
        }
        fragments.appendBuffer(frame.binaryData());
        if (frame.isFinal()) {
            Buffer message = fragments;
            fragments = null;
            onMessage(message);
        }
    }

    /**
     * A whole binary message from {@link DirectFrames}, in reference-counted memory that this connection now owns. It is
     * handled as the connection's context (what a stream opens, an origin request among them, stays on this loop).
     */
    void onDirectMessage(ByteBuf bytes) {
        ((ContextInternal) context).dispatch(bytes, this::handleDirect);
    }

    private void handleDirect(ByteBuf bytes) {
        unclaimed = bytes;
        try {
            onMessage(Buffer.buffer(bytes));
        } finally {
            if (unclaimed != null) {
                unclaimed.release();
                unclaimed = null;
            }
        }
    }

    /**
     * For the stream a DATA frame is for: takes over the reference-counted memory holding the message being handled
     * (the stream releases it once its bytes are passed on); null when the message is on the heap.
     */
    ByteBuf claimMemory() {
        ByteBuf memory = unclaimed;
        unclaimed = null;
        return memory;
    }

    private void onMessage(Buffer message) {
        if (closed) {
            return;
        }
        lastFrameNanos = System.nanoTime();
        observer.bytesReceived(message.length());
        if (!heardFrom) {
            heardFrom = true;
            listener.firstFrame();
        }
        try {
            dispatch(Frame.decode(message));
        } catch (ProtocolException e) {
            fail(e.getMessage());
        }
    }

    private void dispatch(Frame frame) {
        switch (frame.type()) {
            case HELLO -> {
                expectFrom(Side.EDGE, frame);
                control();
                JsonObject hello;
                try {
                    hello = new JsonObject(frame.payload());
                } catch (RuntimeException e) {
                    throw new ProtocolException("HELLO payload is not a JSON object");
                }
                peerTakesInformational = Boolean.TRUE.equals(hello.getValue(INFORMATIONAL));
                peerTakesTrailers = Boolean.TRUE.equals(hello.getValue(TRAILERS));
                listener.hello(hello);
            }
            case PING -> {
                control();
                // a heap copy: the payload may be in the connection's read buffer, released after this frame
                send(Frame.of(FrameType.PONG, 0, 0, Buffer.buffer(8).appendLong(frame.payload().getLong(0))));
            }
            case PONG -> {
                control();
                long rtt = System.nanoTime() - frame.payload().getLong(0);
                if (rtt >= 0 && rtt < Duration.ofMinutes(1).toNanos()) {
                    roundTripNanos = rtt;
                    observer.heartbeatRoundTrip(rtt);
                }
            }
            case GOAWAY -> {
                control();
                if (!peerGoingAway) {
                    peerGoingAway = true;
                    listener.goingAway(frame.reason());
                }
            }
            case OPEN -> onOpen(frame);
            case RESPONSE -> {
                expectFrom(Side.CONNECTOR, frame);
                MuxStream stream = stream(frame);
                if (stream != null) {
                    stream.onResponse(Heads.decodeResponse(frame.payload()), frame.fin());
                }
            }
            case TRAILERS -> {
                expectFrom(Side.CONNECTOR, frame);
                MuxStream stream = stream(frame);
                if (stream != null) {
                    stream.onTrailers(Heads.decodeTrailers(frame.payload()));
                }
            }
            case DATA -> {
                if (frame.payload().length() == 0 && !frame.fin()) {
                    control();
                }
                MuxStream stream = stream(frame);
                if (stream != null) {
                    stream.onData(frame.payload(), frame.fin());
                }
            }
            case RESET -> {
                // Ending an open stream is paid for by its OPEN: an origin that is down gets every request reset, at
                // whatever rate visitors send them. A RESET crossing the stream's end is a control frame.
                MuxStream stream = stream(frame);
                if (stream != null) {
                    stream.onReset(new MuxStream.Reset(frame.code(), frame.reason()));
                } else {
                    control();
                }
            }
            case WINDOW -> {
                // Giving back bytes this side sent, in the documented increments, is paid for by that DATA: a busy
                // connection carrying large answers sends thousands a second, many for streams that ended here as
                // their last bytes left (the WINDOW crossed them). Anything else counts as control.
                MuxStream stream = stream(frame);
                int increment = frame.payload().getInt(0);
                boolean paid = increment <= notGivenBack && (increment >= WINDOW_UPDATE_THRESHOLD
                        || stream != null && stream.notGivenBack() == increment);
                notGivenBack -= Math.min(increment, notGivenBack);
                if (!paid) {
                    control();
                }
                if (stream != null) {
                    stream.onWindow(increment);
                }
            }
        }
    }

    private void onOpen(Frame frame) {
        expectFrom(Side.EDGE, frame);
        int id = frame.streamId();
        if (id <= highestPeerStream) {
            throw new ProtocolException("OPEN of stream " + id + ", not above the last opened stream " + highestPeerStream);
        }
        highestPeerStream = id;
        Heads.RequestHead head = Heads.decodeRequest(frame.payload());
        MuxStream stream = new MuxStream(id, this);
        active.incrementAndGet();
        streams.put(id, stream);
        observer.streamOpened();
        if (goingAway) {
            stream.reset(ResetCodes.REFUSED, "connector is shutting down");
            return;
        }
        if (streams.size() > settings.maxStreams()) {
            stream.reset(ResetCodes.REFUSED, "more than " + settings.maxStreams() + " streams on one connection");
            return;
        }
        if (frame.fin()) {
            stream.onData(Buffer.buffer(), true);
        }
        listener.opened(stream, head, frame.fin(), frame.upgrade());
    }

    /** The open stream a frame is for; null for a stream that has ended (frames may cross a RESET); error if never opened. */
    private MuxStream stream(Frame frame) {
        MuxStream stream = streams.get(frame.streamId());
        if (stream != null) {
            return stream;
        }
        int highest = side == Side.EDGE ? lastLocalStream : highestPeerStream;
        if (frame.streamId() > highest) {
            throw new ProtocolException(frame.type() + " frame for stream " + frame.streamId() + ", which was never opened");
        }
        return null;
    }

    private void expectFrom(Side sender, Frame frame) {
        if (side == sender) {
            throw new ProtocolException(frame.type() + " frame may only come from the " + sender.name().toLowerCase());
        }
    }

    private void control() {
        long now = System.nanoTime();
        if (now - controlWindowStart > 1_000_000_000L) {
            controlWindowStart = now;
            controlFrames = 0;
        }
        if (++controlFrames > settings.maxControlFramesPerSecond()) {
            throw new ProtocolException("frame flood: more than " + settings.maxControlFramesPerSecond()
                    + " control frames in one second");
        }
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        long limit = settings.heartbeatInterval().toNanos() * settings.heartbeatMisses();
        if (now - lastFrameNanos > limit) {
            fail("no frame from the peer for " + Duration.ofNanos(now - lastFrameNanos).toMillis() + " ms ("
                    + settings.heartbeatMisses() + " heartbeats missed)");
            return;
        }
        if (writeBlockedSinceNanos >= 0 && now - writeBlockedSinceNanos > limit) {
            fail("the peer has not read for " + Duration.ofNanos(now - writeBlockedSinceNanos).toMillis() + " ms");
            return;
        }
        send(Frame.of(FrameType.PING, 0, 0, Buffer.buffer(8).appendLong(now)));
    }

    /** Closes the connection because of something the peer did (or the network); the reason is logged and sent. */
    private void fail(String reason) {
        if (closed) {
            return;
        }
        LOG.warnf("Tunnel connection %s closed: %s", name, reason);
        ws.close((short) 1002, truncate(reason));
        shutdown(reason);
    }

    private void shutdown(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        closeReason = reason;
        vertx.cancelTimer(heartbeatTimer);
        MuxStream.Reset lost = new MuxStream.Reset(ResetCodes.CONNECTION_LOST, "tunnel connection lost: " + reason);
        for (MuxStream stream : new ArrayList<>(streams.values())) {
            stream.onReset(lost);
        }
        streams.clear();
        blocked.clear();
        listener.closed(reason);
    }

    private static String truncate(String reason) {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_CLOSE_REASON) {
            return reason;
        }
        return new String(bytes, 0, MAX_CLOSE_REASON, StandardCharsets.UTF_8);
    }
}
