package io.edgestack.tunnel.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.config.HostPattern;

class ManagedHostsTest {

    private static final Map<String, List<String>> TUNNELS = new LinkedHashMap<>(Map.of(
            "site", List.of("www.example.com", "example.com"), "blog", List.of("*.blog.example.com")));

    /** Which tunnel serves a name, as the edge's directory answers it. */
    private static final Function<String, Optional<String>> SERVED_BY = name -> TUNNELS.entrySet().stream()
            .filter(e -> e.getValue().stream().anyMatch(p -> HostPattern.parse("test", p).matches(name)))
            .map(Map.Entry::getKey).findFirst();

    private static String refused(List<String> configured) {
        return assertThrows(IllegalArgumentException.class,
                () -> CertificateManager.managedHosts(Optional.of(configured), TUNNELS, SERVED_BY)).getMessage();
    }

    @Test
    void everyExactTunnelHostByDefaultAndOnlyConfiguredNamesWhenListed() {
        assertEquals(java.util.Set.of("www.example.com", "example.com"),
                java.util.Set.copyOf(CertificateManager.managedHosts(Optional.empty(), TUNNELS, SERVED_BY)),
                "the wildcard host of the blog tunnel gets none");
        assertEquals(List.of("news.blog.example.com", "www.example.com"), CertificateManager.managedHosts(
                Optional.of(List.of("News.Blog.Example.com.", "www.example.com")), TUNNELS, SERVED_BY),
                "a name under a wildcard tunnel host may be listed; names are normalised");
    }

    @Test
    void aWildcardANameNoTunnelServesOrNothingAtAllIsRefusedNamingTheKey() {
        assertEquals("edgestack.tunnel.edge.tls.hosts: '*.blog.example.com' is a wildcard; HTTP-01 validates exact names "
                + "only", refused(List.of("*.blog.example.com")));
        assertEquals("edgestack.tunnel.edge.tls.hosts: 'shop.example.org' is served by no tunnel of this edge "
                + "(edgestack.tunnel.edge.tunnels.<id>.hosts)", refused(List.of("shop.example.org")));
        assertEquals("edgestack.tunnel.edge.tls.enabled: no host name to obtain a certificate for; list exact names in "
                + "edgestack.tunnel.edge.tls.hosts or in a tunnel's hosts", assertThrows(IllegalArgumentException.class,
                        () -> CertificateManager.managedHosts(Optional.empty(), Map.of("any", List.of("*")), SERVED_BY))
                        .getMessage());
    }
}
