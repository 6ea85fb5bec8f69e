#!/bin/sh
# Builds a busybox initramfs for the DAHDI test VM: it loads virtio + 9p,
# mounts the host's root read-only as the guest's root, a tmpfs /tmp, the
# shared work directory at /tmp/hw (read-write), and runs the guest script
# named on the kernel command line. No udev, no systemd.
# Usage: mkinitramfs.sh KVER OUT.img
set -e
KVER=$1; OUT=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p $W/bin $W/proc $W/sys $W/dev $W/newroot $W/mods
cp /bin/busybox $W/bin/busybox
MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
for m in $MODS; do
  f=$(modinfo -k $KVER -F filename $m 2>/dev/null || true)
  [ -n "$f" ] && cp "$f" $W/mods/$m.ko
done
cat > $W/init <<'EOI'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
  [ -f /mods/$m.ko ] && insmod /mods/$m.ko
done
O="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o $O,ro,cache=loose hostroot /newroot || { echo "GUEST: mount of the host root failed"; poweroff -f; }
mount -t tmpfs tmpfs /newroot/tmp
mount -t tmpfs tmpfs /newroot/run
mkdir -p /newroot/tmp/hw
mount -t 9p -o $O,cache=none work /newroot/tmp/hw || echo "GUEST: mount of the work directory failed"
SCRIPT=$(sed -n 's/.*guest_script=\([^ ]*\).*/\1/p' /proc/cmdline)
ARGS=$(sed -n 's/.*guest_args=\([^ ]*\).*/\1/p' /proc/cmdline)
mount --move /dev /newroot/dev; mkdir -p /newroot/dev/shm; mount -t tmpfs shm /newroot/dev/shm
mount --move /proc /newroot/proc; mount --move /sys /newroot/sys
exec switch_root /newroot /bin/sh -c "cd /tmp/hw; sh $SCRIPT $ARGS </dev/null; echo GUEST_EXIT rc=\$?; sync; /bin/busybox poweroff -f"
EOI
chmod +x $W/init
(cd $W && find . | cpio -o -H newc --quiet | gzip -1) > $OUT
