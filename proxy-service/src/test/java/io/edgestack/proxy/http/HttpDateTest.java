package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HttpDateTest {

    private static final long DEC_1_2026 = 1796134439000L; // 2026-12-01T14:13:59Z

    @Test
    void generatesImfFixdateWithTwoDigitDays() {
        assertEquals("Tue, 01 Dec 2026 14:13:59 GMT", HttpDate.format(DEC_1_2026));
        assertEquals("Sat, 12 Dec 2026 14:13:59 GMT", HttpDate.format(DEC_1_2026 + 11 * 86_400_000L));
        assertEquals(29, HttpDate.now().length());
        assertEquals(HttpDate.now(), HttpDate.nowAscii().toString());
    }

    @Test
    void parsesTheThreeFormsRecipientsMustAccept() {
        assertEquals(DEC_1_2026, HttpDate.parse("Tue, 01 Dec 2026 14:13:59 GMT"));
        assertEquals(DEC_1_2026, HttpDate.parse("Tue, 1 Dec 2026 14:13:59 GMT"));
        assertEquals(DEC_1_2026, HttpDate.parse("Tuesday, 01-Dec-26 14:13:59 GMT"));
        assertEquals(DEC_1_2026, HttpDate.parse("Tue Dec  1 14:13:59 2026"));
        assertEquals(DEC_1_2026, HttpDate.parse(" " + HttpDate.format(DEC_1_2026) + " "));
    }

    @Test
    void refusesWhatIsNoDate() {
        assertEquals(-1, HttpDate.parse(null));
        assertEquals(-1, HttpDate.parse(""));
        assertEquals(-1, HttpDate.parse("0"));
        assertEquals(-1, HttpDate.parse("yesterday"));
        assertEquals(-1, HttpDate.parse("Tue, 32 Dec 2026 14:13:59 GMT"));
    }
}
