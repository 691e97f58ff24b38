package io.edgestack.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;

import org.junit.jupiter.api.Test;

class TunnelMainTest {

    @Test
    void nettyKeepsBuffersOfAWholeTunnelFramePerEventLoopUnlessToldOtherwise() {
        Properties none = new Properties();
        TunnelMain.nettyDefaults(none);
        assertEquals("131072", none.getProperty(TunnelMain.CACHED_BUFFER_CAPACITY_KEY));

        Properties given = new Properties();
        given.setProperty(TunnelMain.CACHED_BUFFER_CAPACITY_KEY, "32768");
        TunnelMain.nettyDefaults(given);
        assertEquals("32768", given.getProperty(TunnelMain.CACHED_BUFFER_CAPACITY_KEY), "the command line's value wins");
    }
}
