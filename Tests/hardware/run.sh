#!/usr/bin/env bash
# The hardware suite: the real DAHDI kernel driver (Debian's dahdi-dkms) with
# dahdi_dynamic_loc loopback spans in a QEMU VM (software emulation), the
# daemon's DAHDI span driver on real /dev/dahdi channels against the line
# simulator on the looped spans. Prints `N passed, M failed`; non-zero on any
# failure, or when the VM or the driver did not come up (a skip is not a pass).
# Usage: run.sh PATH/TO/dialtone [t1 e1]
set -u
BIN=$(realpath "${1:?usage: $0 dialtone-binary [variants]}"); shift
VARIANTS=${*:-t1 e1}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/.build/hardware
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$OUT"
passed=0; failed=0

need=""
for p in qemu-system-x86 linux-image-amd64 linux-headers-amd64 dahdi-dkms dahdi busybox-static cpio kmod udev; do
  dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "hardware: installing$need"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $need > "$OUT/apt.log" 2>&1 \
    || { tail -20 "$OUT/apt.log"; echo "0 passed, 1 failed"; exit 1; }
fi
KVER=$(ls /lib/modules | grep -- '-amd64$' | sort -V | tail -1)
if [ -z "$KVER" ] || [ ! -f /boot/vmlinuz-$KVER ]; then echo "hardware: no Debian kernel installed"; echo "0 passed, 1 failed"; exit 1; fi
if ! ls /lib/modules/$KVER/updates/dkms/dahdi_dynamic_loc.ko* >/dev/null 2>&1; then
  echo "hardware: building the DAHDI modules for $KVER (dkms)"
  $SUDO dkms autoinstall -k $KVER > "$OUT/dkms.log" 2>&1 || true
fi
if ! ls /lib/modules/$KVER/updates/dkms/dahdi_dynamic_loc.ko* >/dev/null 2>&1; then
  tail -20 "$OUT/dkms.log"; echo "hardware: the DAHDI kernel driver is absent"; echo "0 passed, 1 failed"; exit 1
fi
"$HERE/mkinitramfs.sh" $KVER "$OUT/initramfs.img"
rm -rf "$OUT/src"; cp -rL "$HERE" "$OUT/src"; cp "$ROOT/udev/60-dialtone.rules" "$OUT/src/udev-rules"
# The udev rules name the group `dialtone` (the guest shares this host's /etc).
getent group dialtone >/dev/null || $SUDO groupadd --system dialtone
cp "$BIN" "$OUT/dialtone"

boot() {  # boot the VM for variant $1, log to $2
  local v=$1 log=$2
  echo "hardware: booting the VM for $v (kernel $KVER, TCG)"
  local start=$(date +%s)
  timeout 900 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1536 -machine q35 \
    -display none -vga none -monitor none -serial stdio -no-reboot -net none \
    -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
    -fsdev local,id=work,path="$OUT",security_model=none,multidevs=remap \
    -device virtio-9p-pci,fsdev=work,mount_tag=work \
    -kernel /boot/vmlinuz-$KVER -initrd "$OUT/initramfs.img" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 guest_script=/tmp/hw/src/guest.sh guest_args=$v" \
    < /dev/null > "$log" 2>&1
  echo "hardware: $v VM ran $(( $(date +%s) - start )) s; log $log"
  grep -E '^(PASS|FAIL)|span opened|^\[uptime|GUEST|^NODE|^SPANS|DAHDI span|rescan|^idle daemon CPU' "$log"
  grep -q 'GUEST_EXIT rc=0' "$log" && [ "$(grep -c '^PASS' "$log")" -gt 0 ] && [ "$(grep -c '^FAIL' "$log")" -eq 0 ]
}

for v in $VARIANTS; do
  log="$OUT/vm-$v.log"
  # One boot per variant: a failure fails the suite (no second attempt).
  boot $v "$log"
  p=$(grep -c '^PASS' "$log"); f=$(grep -c '^FAIL' "$log")
  passed=$((passed + p)); failed=$((failed + f))
  if ! grep -q 'GUEST_EXIT rc=0' "$log" || [ "$p" -eq 0 ]; then
    [ "$f" -gt 0 ] || failed=$((failed + 1))
    echo "hardware: $v did not complete"; tail -30 "$log"
  fi
done
echo "hardware: $passed passed, $failed failed"
[ $failed -eq 0 ]
