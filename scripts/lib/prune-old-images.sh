# Sourced by the image build scripts. prune_old_images IMAGE...: removes the other tags of each
# image's repository (builds of an earlier key) that are older than a day and not used by any
# container. Younger ones stay: another checkout building at the same time may still run them.
prune_old_images() {
  local image cutoff created tag
  cutoff=$(date -u -d '1 day ago' +%s)
  for image in "$@"; do
    podman images --format '{{.Repository}}:{{.Tag}}|{{.CreatedAt}}' --filter "reference=${image%:*}" |
      while IFS='|' read -r tag created; do
        [ "$tag" = "$image" ] && continue
        [ "$(date -u -d "${created% UTC}" +%s 2>/dev/null || echo "$cutoff")" -lt "$cutoff" ] || continue
        podman rmi "$tag" >/dev/null 2>&1 || true
      done
  done
}
