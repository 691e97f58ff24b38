package io.edgestack.proxy.files;

import java.util.List;
import java.util.Locale;

/**
 * Picks a content coding from an {@code Accept-Encoding} header and the codings available, honouring q-values
 * (q=0 refuses a coding, {@code *} covers the unnamed ones). Ties go to the order of {@code available}.
 */
public final class AcceptEncoding {

    private AcceptEncoding() {
    }

    /** The chosen coding, or null for identity. */
    public static String choose(String header, List<String> available) {
        if (header == null || header.isBlank() || available.isEmpty()) {
            return null;
        }
        String best = null;
        float bestQ = 0f;
        for (String coding : available) {
            float q = quality(header, coding);
            if (q > bestQ) {
                best = coding;
                bestQ = q;
            }
        }
        return best;
    }

    static float quality(String header, String coding) {
        float star = -1f;
        for (String part : header.split(",")) {
            String[] pieces = part.split(";");
            String name = pieces[0].trim().toLowerCase(Locale.ROOT);
            float q = 1f;
            for (int i = 1; i < pieces.length; i++) {
                String param = pieces[i].trim();
                if (param.startsWith("q=") || param.startsWith("Q=")) {
                    try {
                        q = Float.parseFloat(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0f;
                    }
                }
            }
            if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) {
                return q;
            }
            if (name.equals("*")) {
                star = q;
            }
        }
        return Math.max(star, 0f);
    }
}
