mkdir /sys/fs/cgroup/x; echo $$ > /sys/fs/cgroup/x/cgroup.procs; echo +pids > /sys/fs/cgroup/x/cgroup.subtree_control; echo "rc=$?"
mkdir -p /sys/fs/cgroup/x/corral/sup; echo $$ > /sys/fs/cgroup/x/corral/sup/cgroup.procs; echo +pids > /sys/fs/cgroup/x/cgroup.subtree_control; echo "rc=$?"; cat /sys/fs/cgroup/x/cgroup.subtree_control
echo +pids > /sys/fs/cgroup/x/corral/cgroup.subtree_control; echo "rc=$?"; ls /sys/fs/cgroup/x/corral/
