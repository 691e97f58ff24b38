package io.edgestack.tunnel.auth;

/**
 * Why a connector token was refused. {@link #code} is a short fixed word (a metric label); the message is for people
 * and never contains the token.
 */
public class TokenRejected extends Exception {

    public final String code;
    public final int status;

    public TokenRejected(String code, int status, String message) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
    }
}
