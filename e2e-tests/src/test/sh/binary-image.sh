#!/usr/bin/env bash
# Makes a container image from programs installed on this machine (Debian's prometheus, alertmanager), with the
# shared libraries they link to, for the compose test: no registry can be reached here, nothing is pulled.
#
#   binary-image.sh <tag> <entrypoint in the image> <host program>:<path in the image> ... [/data-folder/ ...]
#
# An argument ending in / is a folder made in the image, owned by nobody (65534), for a volume mounted there.
set -euo pipefail
tag=$1 entrypoint=$2
shift 2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
for pair in "$@"; do
    if [[ $pair == */ ]]; then
        mkdir -p "$root$pair"
        chown 65534:65534 "$root$pair"
        continue
    fi
    from=${pair%%:*} to=${pair#*:}
    mkdir -p "$root$(dirname "$to")"
    cp -L "$from" "$root$to"
    for lib in $(ldd "$from" 2> /dev/null | grep -oE '/[^ ]+\.so[^ ]*' || true); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
tar -C "$root" -cf - . | docker import --change "ENTRYPOINT [\"$entrypoint\"]" --change 'ENV PATH=/bin:/usr/bin' \
    --change 'USER 65534' - "$tag" > /dev/null
echo "binary-image: $tag"
