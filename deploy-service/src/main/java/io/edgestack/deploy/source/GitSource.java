package io.edgestack.deploy.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.HttpTransport;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.transport.ssh.jsch.JschConfigSessionFactory;
import org.eclipse.jgit.transport.ssh.jsch.OpenSshConfig;
import org.eclipse.jgit.util.FS;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;

import io.edgestack.deploy.config.DeployConfig;

/**
 * A site's git source, fetched with JGit into a checkout kept under the workspace, so that a deploy fetches only what
 * changed since the last one. Blocking: run on a worker thread.
 */
@ApplicationScoped
public class GitSource {

    private final Path workspace;

    public GitSource(DeployConfig config) {
        this.workspace = config.workspace().toAbsolutePath();
    }

    /** The kept checkout of a site. */
    public Path checkout(String site) {
        return workspace.resolve(site).resolve("checkout");
    }

    /**
     * Fetches the site's repository and checks out {@code ref} (a branch, a tag or a commit id) into the kept checkout,
     * with untracked files removed.
     *
     * @throws SourceException with a message a person can act on (repository unreachable, unknown ref)
     */
    public CommitInfo fetch(String site, DeployConfig.Site config, String ref) throws SourceException {
        Path dir = checkout(site);
        String repository = config.repository();
        TransportConfigCallback transport = transport(config);
        try {
            Git git = open(dir, repository, transport);
            try (git) {
                git.fetch().setRemote("origin").setRemoveDeletedRefs(true).setTransportConfigCallback(transport)
                        .setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*"),
                                new RefSpec("+refs/tags/*:refs/tags/*"))
                        .call();
                ObjectId id = resolve(git.getRepository(), ref);
                if (id == null) {
                    throw new SourceException("'" + ref + "' is neither a branch, a tag nor a commit of " + repository);
                }
                git.checkout().setName(id.name()).setForced(true).call();
                git.clean().setCleanDirectories(true).setForce(true).call();
                try (RevWalk walk = new RevWalk(git.getRepository())) {
                    RevCommit commit = walk.parseCommit(id);
                    return new CommitInfo(commit.name(), commit.getAuthorIdent().getName() + " <"
                            + commit.getAuthorIdent().getEmailAddress() + ">", commit.getShortMessage(),
                            commit.getAuthorIdent().getWhenAsInstant());
                }
            }
        } catch (GitAPIException | IOException | RuntimeException e) {
            if (e instanceof SourceException source) {
                throw source;
            }
            throw new SourceException("could not fetch " + repository + ": " + rootMessage(e), e);
        }
    }

    /** Credentials of a site's repository: an ssh key and strict known hosts, or an https user and token. */
    static TransportConfigCallback transport(DeployConfig.Site config) {
        return transport -> {
            if (transport instanceof SshTransport ssh
                    && (config.sshKeyFile().isPresent() || config.sshKnownHostsFile().isPresent())) {
                ssh.setSshSessionFactory(new JschConfigSessionFactory() {
                    @Override
                    protected JSch createDefaultJSch(FS fs) throws JSchException {
                        JSch jsch = super.createDefaultJSch(fs);
                        if (config.sshKeyFile().isPresent()) {
                            jsch.removeAllIdentity();
                            jsch.addIdentity(config.sshKeyFile().get().toAbsolutePath().toString());
                        }
                        if (config.sshKnownHostsFile().isPresent()) {
                            jsch.setKnownHosts(config.sshKnownHostsFile().get().toAbsolutePath().toString());
                        }
                        return jsch;
                    }

                    @Override
                    protected void configure(OpenSshConfig.Host host, Session session) {
                        session.setConfig("StrictHostKeyChecking", "yes");
                    }
                });
            }
            if (transport instanceof HttpTransport && config.gitPassword().isPresent()) {
                transport.setCredentialsProvider(
                        new UsernamePasswordCredentialsProvider(config.gitUsername(), config.gitPassword().get()));
            }
        };
    }

    private static Git open(Path dir, String repository, TransportConfigCallback transport)
            throws IOException, GitAPIException {
        if (Files.isDirectory(dir.resolve(".git"))) {
            Git git = Git.open(dir.toFile());
            if (!uri(repository).equals(git.getRepository().getConfig().getString("remote", "origin", "url"))) {
                git.getRepository().getConfig().setString("remote", "origin", "url", uri(repository));
                git.getRepository().getConfig().save();
            }
            return git;
        }
        Files.createDirectories(dir.getParent());
        return Git.cloneRepository().setURI(uri(repository)).setDirectory(dir.toFile()).setNoCheckout(true)
                .setTransportConfigCallback(transport).call();
    }

    private static ObjectId resolve(Repository repository, String ref) throws IOException {
        for (String candidate : List.of("refs/remotes/origin/" + ref, "refs/tags/" + ref + "^{commit}")) {
            ObjectId id = repository.resolve(candidate);
            if (id != null) {
                return id;
            }
        }
        if (ref.matches("[0-9a-fA-F]{7,40}")) {
            ObjectId id = repository.resolve(ref + "^{commit}");
            if (id != null) {
                return id;
            }
        }
        return null;
    }

    /** A local path becomes an absolute one; URLs (file:, https:, ssh:, user@host:path) are kept. */
    static String uri(String repository) {
        if (repository.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || repository.matches("^[^/]+@[^:]+:.*")) {
            return repository;
        }
        return Path.of(repository).toAbsolutePath().normalize().toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }

    /** What was checked out. */
    public record CommitInfo(String sha, String author, String message, java.time.Instant when) {
        public String shortSha() {
            return sha.substring(0, 7);
        }
    }

    /** The source could not be fetched or the ref does not exist. */
    public static final class SourceException extends Exception {
        public SourceException(String message) {
            super(message);
        }

        SourceException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
