import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * bin/edgestack hash-password [cost]: prints the bcrypt hash of a password, for a site's access.basic-auth.users in the
 * sites file. The password is read from the terminal without echo (asked twice), or as one line from standard input.
 */
public class HashPassword {

    public static void main(String[] args) throws Exception {
        int cost = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        if (cost < 4 || cost > 31) {
            System.err.println("hash-password: the cost is 4 to 31 (each step doubles the work; default 10)");
            System.exit(2);
        }
        char[] password;
        Console console = System.console();
        if (console != null) {
            password = console.readPassword("Password: ");
            char[] again = console.readPassword("Again: ");
            if (password == null || again == null || !Arrays.equals(password, again)) {
                System.err.println("hash-password: the two passwords differ");
                System.exit(1);
            }
            Arrays.fill(again, '\0');
        } else {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            password = line == null ? new char[0] : line.toCharArray();
        }
        if (password.length == 0) {
            System.err.println("hash-password: no password given");
            System.exit(1);
        }
        if (new String(password).getBytes(StandardCharsets.UTF_8).length > 72) {
            System.err.println("hash-password: bcrypt reads 72 bytes of a password at most: use a shorter one");
            System.exit(1);
        }
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        System.out.println(OpenBSDBCrypt.generate("2b", password, salt, cost));
        Arrays.fill(password, '\0');
    }
}
