package io.edgestack.deploy.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ChangedUrlsTest {

    private static List<String> paths(String... files) {
        StringBuilder why = new StringBuilder();
        Optional<List<String>> paths = ChangedUrls.paths(List.of(files), 100, why);
        assertTrue(paths.isPresent(), why.toString());
        return paths.get();
    }

    @Test
    void mapsFilesToTheUrlsTheProxyServesThemUnder() {
        assertEquals(List.of("/"), paths("index.html"));
        assertEquals(List.of("/blog/", "/blog"), paths("blog/index.html"));
        assertEquals(List.of("/about", "/about.html"), paths("about.html"));
        assertEquals(List.of("/assets/app.css"), paths("assets/app.css"));
        assertEquals(List.of("/assets/app.css"), paths("assets/app.css.br", "assets/app.css.gz", "assets/app.css"));
        assertEquals(List.of("/images/my%20photo.jpg"), paths("images/my photo.jpg"));
        assertEquals(List.of("/caf%C3%A9/", "/caf%C3%A9"), paths("café/index.html"));
    }

    @Test
    void purgesEverythingWhenAnErrorPageChangesOrTooManyUrls() {
        StringBuilder why = new StringBuilder();
        assertTrue(ChangedUrls.paths(List.of("about.html", "404.html"), 100, why).isEmpty());
        assertTrue(why.toString().contains("404.html"), why.toString());
        StringBuilder many = new StringBuilder();
        assertTrue(ChangedUrls.paths(List.of("a.css", "b.css", "c.css"), 2, many).isEmpty());
        assertTrue(many.toString().contains("more than 2"), many.toString());
    }

    @Test
    void rewarmsOnlyPages() {
        assertEquals(List.of("/", "/blog/", "/blog", "/about"),
                ChangedUrls.pages(List.of("/", "/blog/", "/blog", "/about", "/about.html", "/assets/app.css")));
    }
}
