"""Seeded generator of realistic ``/sys/kernel/debug/page_owner`` dumps.

Used by the benchmarks (``bench/compare.py``) and by tests that need large or
specially shaped inputs.  Only the standard library and NumPy are imported, so
this module works without the package's compiled extension.

The output follows the per-era layout of the kernel's ``mm/page_owner.c``
(see the spec, section 2):

====== ====================================================================
era    header / PFN line / stack frames
====== ====================================================================
4.6    ``Page allocated via order O, mask 0xM(names)``;
       ``PFN <dec> ... Flags 0x<hex>(names)``; frames `` [<addr>] sym+0x/0x``
5.11   ``…, pid P, ts T ns``; frames `` sym+0xOFF/0xSIZE``
5.13   ``…, pid P, ts T ns, free_ts F ns`` (F is 0 or smaller than T)
5.18   ``…, pid P, tgid G (comm), ts T ns, free_ts F ns``; decimal PFN,
       ``%pGp`` flags with ``node=|zone=|lastcpupid=`` fields; memcg lines
6.5    as 5.18 but ``PFN 0x<hex>``
6.7    ``…, pid P, tgid G (comm), ts T ns`` (no free_ts), hex PFN,
       ``_noprof`` allocator frames -- the default, shaped like a 6.12 dump
====== ====================================================================

What a dump contains: about ``n_paths`` distinct call paths (5-16 frames,
innermost first, starting with the allocator's own frames), chosen with a
Zipf(``zipf_a``) law; runs of consecutive blocks with the same path and task
(one allocation burst, consecutive PFNs); orders mostly 0, some 1-4, THP
order 9 and a rare order 10; a few hundred tasks with awkward comms (spaces,
parentheses, commas, exactly 15 characters); module frames (`` [ext4]``,
`` [xfs]`` ...); CMA pageblocks; slab pages (``slab`` / ``slab|head`` page
flags); vmalloc paths (a frame naming ``alloc_pages`` just inside
``__vmalloc_node_range``); ``Page has been migrated`` lines; memcg lines
(era >= 5.18); early-boot ``mask 0x0()`` blocks from pid 0/1.  Timestamps
increase within a run and are unique; across runs they are only locally
shuffled ("monotonic-ish").  Every block ends with an empty line.  An
era-6.7 dump averages 650-720 bytes per block depending on the seed (1 GiB of
seed 0 holds 1.56 M blocks); ~8 s per GiB, ~90 MB peak memory.

The output is a pure function of the arguments and of this file's version:
the same call gives the same bytes.  Separate random streams are used for the call-path pool, the task
pool, the block stream and the planted blocks, so that

* ``plant`` adds blocks without changing any other block's text, and
* ``stack_variant`` changes only the rendering of the frames.

Command line: ``python -m pageowner_fast.gen --size 1G --era 6.7 out.txt``
(``-`` or no operand writes to stdout, streaming with bounded memory).
The shipped ``data/example.txt.gz`` is ``generate(f, blocks=300, era="6.7",
seed=1)``, gzip'd with ``mtime=0``.
"""

from __future__ import annotations

import argparse
import hashlib
import functools
import json
import os
import re
import sys
from typing import Any, BinaryIO, Iterable

import numpy as np

__all__ = ["ERAS", "generate", "main", "parse_size", "path_stacks"]

ERAS = ("4.6", "5.11", "5.13", "5.18", "6.5", "6.7")

# Approximate bytes per block (used to spread planted blocks over a dump whose
# length is given in bytes); measured on generated dumps.
_BYTES_PER_BLOCK = {"4.6": 715, "5.11": 585, "5.13": 565, "5.18": 655, "6.5": 655, "6.7": 685}

_MAX_ORDER_SHIFT = 16  # header cache key: path * 16 + order

# --------------------------------------------------------------------------
# Vocabulary: frames are written with their modern (v6.10+) names, innermost
# first.  Era-specific renames are applied when a path is built.
# --------------------------------------------------------------------------

_HEAD = ("post_alloc_hook", "get_page_from_freelist", "__alloc_pages_noprof")

_TAILS = {
    "syscall": ("do_syscall_64", "entry_SYSCALL_64_after_hwframe"),
    "fault": ("handle_mm_fault", "do_user_addr_fault", "exc_page_fault", "asm_exc_page_fault"),
    "kthread": ("process_one_work", "worker_thread", "kthread", "ret_from_fork", "ret_from_fork_asm"),
    "kthread_direct": ("kthread", "ret_from_fork", "ret_from_fork_asm"),
    "fork": ("ret_from_fork", "ret_from_fork_asm"),
    "init": ("do_one_initcall", "kernel_init_freeable", "kernel_init", "ret_from_fork", "ret_from_fork_asm"),
    "softirq": ("handle_softirqs", "__irq_exit_rcu", "common_interrupt", "asm_common_interrupt"),
    "none": (),
}

# Which task class runs a path, by the path's tail.
_TAIL_CLASS = {
    "syscall": "user", "fault": "user", "kthread": "kthread", "kthread_direct": "kthread",
    "fork": "kthread", "init": "init", "softirq": "irq", "none": "early",
}

# Frames whose name starts with one of these prefixes are module code.
_MODULE_PREFIXES = (
    ("ext4_", "ext4"), ("_ext4_", "ext4"), ("__ext4_", "ext4"), ("jbd2_", "jbd2"),
    ("xfs_", "xfs"), ("btrfs_", "btrfs"), ("nfs_", "nfs"), ("kvm_", "kvm"),
    ("vcpu_enter_guest", "kvm"), ("vmx_", "kvm_intel"), ("i915_", "i915"),
    ("____i915_", "i915"), ("drm_gem_dma_", "drm_dma_helper"), ("drm_", "drm"),
    ("amdgpu_", "amdgpu"), ("virtnet_", "virtio_net"), ("receive_mergeable", "virtio_net"),
    ("page_to_skb", "virtio_net"), ("add_recvbuf_", "virtio_net"), ("try_fill_recv", "virtio_net"),
    ("virtblk_", "virtio_blk"), ("init_vq", "virtio_blk"), ("snd_pcm_", "snd_pcm"),
    ("usb_", "usbcore"), ("hub_", "usbcore"), ("port_event", "usbcore"),
    ("nf_conntrack_", "nf_conntrack"), ("__nf_conntrack_", "nf_conntrack"),
    ("init_conntrack", "nf_conntrack"), ("nf_ct_", "nf_conntrack"),
)
# ... except these, which are core kernel functions despite the prefix.
_NOT_MODULE = frozenset({"drm_ioctl_dummy"})

# Caller chains (innermost first) ending where their tail begins.  Slab,
# vmalloc and raw page allocations start at a random depth of one of these.
_CALLERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("syscall", ("alloc_inode", "new_inode", "__ext4_new_inode", "ext4_create", "lookup_open.isra.0",
                 "open_last_lookups", "path_openat", "do_filp_open", "do_sys_openat2", "__x64_sys_openat")),
    ("syscall", ("ext4_alloc_inode", "alloc_inode", "iget_locked", "__ext4_iget", "ext4_lookup",
                 "__lookup_slow", "walk_component", "path_lookupat", "filename_lookup", "vfs_statx",
                 "vfs_fstatat", "__do_sys_newfstatat", "__x64_sys_newfstatat")),
    ("syscall", ("__d_alloc", "d_alloc", "d_alloc_parallel", "__lookup_slow", "walk_component",
                 "link_path_walk.part.0", "path_openat", "do_filp_open", "do_sys_openat2",
                 "__x64_sys_openat")),
    ("syscall", ("xfs_inode_alloc", "xfs_iget", "xfs_lookup", "xfs_vn_lookup", "__lookup_slow",
                 "walk_component", "path_lookupat", "filename_lookup", "user_path_at", "__x64_sys_chdir")),
    ("syscall", ("btrfs_alloc_inode", "alloc_inode", "iget5_locked", "btrfs_iget_path",
                 "btrfs_lookup_dentry", "btrfs_lookup", "__lookup_slow", "walk_component",
                 "path_lookupat", "filename_lookup", "vfs_statx", "__do_sys_statx", "__x64_sys_statx")),
    ("syscall", ("nfs_alloc_inode", "alloc_inode", "iget5_locked", "nfs_fhget", "nfs_lookup",
                 "__lookup_slow", "walk_component", "path_lookupat", "filename_lookup", "vfs_statx",
                 "vfs_fstatat", "__do_sys_newfstatat", "__x64_sys_newfstatat")),
    ("syscall", ("kmalloc_reserve", "__alloc_skb", "alloc_skb_with_frags", "sock_alloc_send_pskb",
                 "unix_stream_sendmsg", "__sock_sendmsg", "____sys_sendmsg", "___sys_sendmsg",
                 "__sys_sendmsg", "__x64_sys_sendmsg")),
    ("syscall", ("kmalloc_reserve", "__alloc_skb", "tcp_stream_alloc_skb", "tcp_sendmsg_locked",
                 "tcp_sendmsg", "inet_sendmsg", "__sock_sendmsg", "__sys_sendto", "__x64_sys_sendto")),
    ("syscall", ("sk_prot_alloc", "sk_alloc", "inet_create", "__sock_create", "__sys_socket",
                 "__x64_sys_socket")),
    ("syscall", ("alloc_empty_file", "alloc_file_pseudo", "sock_alloc_file", "__sys_socket",
                 "__x64_sys_socket")),
    ("syscall", ("vm_area_alloc", "mmap_region", "do_mmap", "vm_mmap_pgoff", "ksys_mmap_pgoff",
                 "__x64_sys_mmap")),
    ("syscall", ("anon_vma_fork", "dup_mmap", "dup_mm", "copy_process", "kernel_clone",
                 "__do_sys_clone", "__x64_sys_clone")),
    ("syscall", ("mas_alloc_nodes", "mas_preallocate", "__split_vma", "vms_gather_munmap_vmas",
                 "do_vmi_align_munmap", "do_vmi_munmap", "__vm_munmap", "__x64_sys_munmap")),
    ("syscall", ("alloc_pipe_info", "create_pipe_files", "do_pipe2", "__x64_sys_pipe2")),
    ("syscall", ("seq_read_iter", "proc_reg_read_iter", "vfs_read", "ksys_read", "__x64_sys_read")),
    ("syscall", ("kernfs_fop_open", "do_dentry_open", "vfs_open", "path_openat", "do_filp_open",
                 "do_sys_openat2", "__x64_sys_openat")),
    ("syscall", ("alloc_fdtable", "expand_files", "alloc_fd", "do_sys_openat2", "__x64_sys_openat")),
    ("syscall", ("ep_alloc", "do_epoll_create", "__x64_sys_epoll_create1")),
    ("syscall", ("bpf_map_area_alloc", "array_map_alloc", "map_create", "__sys_bpf", "__x64_sys_bpf")),
    ("syscall", ("bpf_prog_alloc_no_stats", "bpf_prog_alloc", "bpf_prog_load", "__sys_bpf",
                 "__x64_sys_bpf")),
    ("syscall", ("load_elf_binary", "bprm_execve", "do_execveat_common.isra.0", "__x64_sys_execve")),
    ("syscall", ("drm_gem_object_init", "i915_gem_object_create_shmem", "i915_gem_create_ioctl",
                 "drm_ioctl_kernel", "drm_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("i915_gem_object_get_pages_shmem", "____i915_gem_object_get_pages",
                 "i915_gem_execbuffer2_ioctl", "drm_ioctl_kernel", "drm_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("amdgpu_bo_create", "amdgpu_bo_create_user", "amdgpu_gem_object_create",
                 "amdgpu_gem_create_ioctl", "drm_ioctl_kernel", "drm_ioctl", "amdgpu_drm_ioctl",
                 "__x64_sys_ioctl")),
    ("syscall", ("kvm_mmu_topup_memory_cache", "kvm_tdp_page_fault", "kvm_mmu_page_fault",
                 "vmx_handle_exit", "vcpu_enter_guest", "kvm_arch_vcpu_ioctl_run", "kvm_vcpu_ioctl",
                 "__x64_sys_ioctl")),
    ("syscall", ("kvm_create_vm", "kvm_dev_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("snd_pcm_lib_malloc_pages", "snd_pcm_hw_params", "snd_pcm_common_ioctl",
                 "snd_pcm_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("jbd2_journal_add_journal_head", "jbd2_journal_get_write_access",
                 "__ext4_journal_get_write_access", "ext4_reserve_inode_write",
                 "__ext4_mark_inode_dirty", "ext4_dirty_inode", "__mark_inode_dirty",
                 "generic_update_time", "file_modified", "ext4_buffered_write_iter",
                 "ext4_file_write_iter", "vfs_write", "ksys_write", "__x64_sys_write")),
    ("syscall", ("copy_fs_struct", "copy_process", "kernel_clone", "__do_sys_clone3",
                 "__x64_sys_clone3")),
    ("syscall", ("alloc_thread_stack_node", "dup_task_struct", "copy_process", "kernel_clone",
                 "__do_sys_clone", "__x64_sys_clone")),
    ("softirq", ("__nf_conntrack_alloc", "init_conntrack.constprop.0", "nf_conntrack_in",
                 "nf_hook_slow", "ip_rcv", "__netif_receive_skb_one_core", "process_backlog",
                 "__napi_poll", "net_rx_action")),
    ("softirq", ("kmalloc_reserve", "__alloc_skb", "__napi_alloc_skb", "page_to_skb",
                 "receive_mergeable", "virtnet_receive", "virtnet_poll", "__napi_poll",
                 "net_rx_action")),
    ("softirq", ("dst_alloc", "ip_route_input_slow", "ip_route_input_noref", "ip_rcv_finish_core",
                 "ip_rcv", "__netif_receive_skb_one_core", "process_backlog", "__napi_poll",
                 "net_rx_action")),
    ("kthread", ("bio_alloc_bioset", "ext4_bio_write_folio", "mpage_submit_folio",
                 "mpage_map_and_submit_buffers", "ext4_do_writepages", "ext4_writepages",
                 "do_writepages", "__writeback_single_inode", "writeback_sb_inodes",
                 "__writeback_inodes_wb", "wb_writeback", "wb_do_writeback", "wb_workfn")),
    ("kthread", ("blk_mq_alloc_rqs", "blk_mq_alloc_map_and_rqs", "blk_mq_alloc_set_map_and_rqs",
                 "blk_mq_alloc_tag_set", "virtblk_probe", "virtio_dev_probe", "really_probe",
                 "__driver_probe_device", "driver_probe_device", "__device_attach_driver",
                 "bus_for_each_drv", "__device_attach_async_helper", "async_run_entry_fn")),
    ("kthread", ("pcpu_create_chunk", "pcpu_balance_workfn")),
    ("kthread", ("xfs_buf_alloc_pages", "xfs_buf_get_map", "xfs_buf_read_map",
                 "xfs_trans_read_buf_map", "xfs_btree_read_buf_block", "xfs_btree_lookup_get_block",
                 "xfs_btree_lookup", "xfs_alloc_lookup_eq", "xfs_alloc_fixup_trees",
                 "xfs_alloc_ag_vextent_near", "xfs_alloc_vextent_iterate_ags", "xfs_bmap_btalloc",
                 "xfs_bmapi_allocate", "xfs_bmapi_convert_delalloc", "xfs_map_blocks",
                 "iomap_writepage_map", "iomap_writepages", "xfs_vm_writepages", "do_writepages")),
    ("kthread", ("usb_alloc_urb", "usb_control_msg", "hub_port_init", "hub_port_connect",
                 "port_event", "hub_event")),
    ("kthread", ("kernfs_new_node", "__kernfs_create_file", "sysfs_add_file_mode_ns",
                 "internal_create_group", "sysfs_slab_add", "__kmem_cache_create",
                 "kmem_cache_create_usercopy", "btrfs_init_cachep", "flush_delayed_fput")),
    ("fork", ("mm_alloc", "copy_process", "kernel_clone", "kernel_thread", "kthreadd")),
    ("fork", ("alloc_thread_stack_node", "dup_task_struct", "copy_process", "kernel_clone",
              "kernel_thread", "kthreadd")),
    ("kthread_direct", ("hpage_collapse_scan_pmd", "khugepaged_scan_mm_slot.constprop.0",
                        "khugepaged")),
    ("kthread_direct", ("shrink_folio_list", "shrink_inactive_list", "shrink_lruvec",
                        "shrink_node_memcgs", "shrink_node", "balance_pgdat", "kswapd")),
    ("init", ("kernfs_new_node", "__kernfs_create_file", "sysfs_add_file_mode_ns",
              "internal_create_group", "internal_create_groups", "device_add", "device_register",
              "acpi_device_add", "acpi_add_single_object", "acpi_bus_check_add",
              "acpi_ns_walk_namespace", "acpi_walk_namespace", "acpi_bus_scan", "acpi_scan_init",
              "acpi_init")),
    ("init", ("alloc_large_system_hash", "inet_hashinfo2_init", "tcp_init", "inet_init")),
    ("init", ("alloc_large_system_hash", "ip_rt_init", "ip_init", "inet_init")),
    ("init", ("__kernfs_new_node", "kernfs_new_node", "kernfs_create_dir_ns", "sysfs_create_dir_ns",
              "kobject_add_internal", "kobject_add", "device_add", "tty_register_device_attr",
              "tty_register_driver", "vty_init", "tty_init", "chr_dev_init")),
    ("init", ("eventfs_create_dir", "event_create_dir", "__trace_early_add_event_dirs",
              "event_trace_init", "tracer_init_tracefs_work_func")),
    ("init", ("bpf_prog_alloc_no_stats", "bpf_prog_alloc", "bpf_prog_create", "ptp_classifier_init",
              "sock_init")),
    ("init", ("kvmalloc_array_node", "nf_ct_alloc_hashtable", "nf_conntrack_init_start",
              "nf_conntrack_standalone_init")),
    ("init", ("param_attr_store", "param_sysfs_builtin_init", "param_sysfs_init")),
)

# Small helpers that sit between an allocator API and its real caller.
_HELPERS = (
    (), (), (), (), ("kstrdup",), ("kmemdup_noprof",), ("kvasprintf",), ("kasprintf",),
    ("krealloc_noprof",), ("radix_tree_node_alloc.constprop.0",), ("xas_alloc", "xas_create", "xas_store"),
    ("idr_get_free", "idr_alloc_u32", "idr_alloc"), ("mas_alloc_nodes", "mas_preallocate"),
    ("percpu_ref_init",), ("kobject_set_name_vargs", "kobject_set_name"), ("alloc_cpumask_var_node",),
    ("security_inode_alloc", "inode_init_always_gfp"), ("__kernfs_new_node", "kernfs_new_node"),
    ("kvmalloc_node_noprof",), ("__alloc_percpu_gfp",), ("sg_alloc_table",), ("rhashtable_init",),
    ("bucket_table_alloc.isra.0", "rhashtable_rehash_alloc"), ("lockref_get",), ("memdup_user",),
    ("strndup_user",), ("kmalloc_array_node_noprof",), ("ida_alloc_range",), ("xa_alloc",),
)

_SLAB_API = ("kmem_cache_alloc_noprof", "__kmalloc_noprof", "__kmalloc_cache_noprof",
             "kmem_cache_alloc_lru_noprof", "kmem_cache_alloc_node_noprof", "__kmalloc_node_noprof")
_VMALLOC_API = ("__vmalloc_node_noprof", "vmalloc_noprof", "vzalloc_noprof", "__kvmalloc_node_noprof",
                "execmem_alloc", "vmalloc_user_noprof")
_KERNEL_API = ("__get_free_pages_noprof", "get_zeroed_page_noprof", "alloc_pages_exact_noprof",
               "alloc_pages_noprof")

_FS_READ = (
    ("syscall", ("filemap_get_pages", "filemap_read", "ext4_file_read_iter", "vfs_read", "ksys_read",
                 "__x64_sys_read")),
    ("syscall", ("filemap_get_pages", "filemap_read", "xfs_file_buffered_read", "xfs_file_read_iter",
                 "vfs_read", "ksys_read", "__x64_sys_read")),
    ("syscall", ("filemap_get_pages", "filemap_read", "btrfs_file_read_iter", "vfs_read", "ksys_read",
                 "__x64_sys_read")),
    ("syscall", ("filemap_get_pages", "filemap_read", "nfs_file_read", "vfs_read", "ksys_read",
                 "__x64_sys_read")),
    ("syscall", ("filemap_get_pages", "filemap_read", "blkdev_read_iter", "vfs_read", "ksys_read",
                 "__x64_sys_read")),
    ("syscall", ("filemap_get_pages", "filemap_splice_read", "splice_file_to_pipe", "do_splice",
                 "__do_splice", "__x64_sys_splice")),
    ("syscall", ("force_page_cache_ra", "generic_fadvise", "ksys_fadvise64_64", "__x64_sys_fadvise64")),
    ("fault", ("filemap_fault", "__do_fault", "do_read_fault", "do_pte_missing", "__handle_mm_fault")),
    ("fault", ("filemap_fault", "ext4_filemap_fault", "__do_fault", "do_read_fault", "do_pte_missing",
               "__handle_mm_fault")),
    ("fault", ("filemap_fault", "__xfs_filemap_fault", "__do_fault", "do_read_fault",
               "do_pte_missing", "__handle_mm_fault")),
    ("syscall", ("filemap_get_pages", "filemap_read", "ext4_file_read_iter", "__kernel_read",
                 "kernel_read_file", "__do_sys_finit_module", "__x64_sys_finit_module")),
)
_RA = (("page_cache_ra_unbounded",), ("page_cache_ra_unbounded", "page_cache_ra_order"),
       ("page_cache_async_ra",), ("page_cache_sync_ra",))

_FS_WRITE = (
    ("syscall", ("ext4_da_write_begin", "generic_perform_write", "ext4_buffered_write_iter",
                 "ext4_file_write_iter", "vfs_write", "ksys_write", "__x64_sys_write")),
    ("syscall", ("ext4_write_begin", "generic_perform_write", "ext4_buffered_write_iter",
                 "ext4_file_write_iter", "do_iter_readv_writev", "vfs_writev", "do_pwritev",
                 "__x64_sys_pwritev")),
    ("syscall", ("iomap_write_begin", "iomap_write_iter", "iomap_file_buffered_write",
                 "xfs_file_buffered_write", "xfs_file_write_iter", "vfs_write", "ksys_write",
                 "__x64_sys_write")),
    ("syscall", ("iomap_write_begin", "iomap_file_buffered_write", "blkdev_write_iter", "vfs_write",
                 "ksys_write", "__x64_sys_write")),
    ("syscall", ("prepare_one_folio", "btrfs_buffered_write", "btrfs_do_write_iter", "vfs_write",
                 "ksys_write", "__x64_sys_write")),
    ("syscall", ("nfs_write_begin", "generic_perform_write", "nfs_file_write", "vfs_write",
                 "ksys_write", "__x64_sys_write")),
    ("syscall", ("bdev_getblk", "__ext4_get_inode_loc", "ext4_get_inode_loc",
                 "ext4_reserve_inode_write", "__ext4_mark_inode_dirty", "ext4_dirty_inode",
                 "__mark_inode_dirty", "generic_update_time", "touch_atime", "filemap_read",
                 "ext4_file_read_iter", "vfs_read", "ksys_read", "__x64_sys_read")),
    ("syscall", ("ext4_da_write_begin", "generic_perform_write", "ext4_buffered_write_iter",
                 "ext4_file_write_iter", "iter_file_splice_write", "direct_splice_actor",
                 "splice_direct_to_actor", "do_splice_direct", "do_sendfile", "__x64_sys_sendfile64")),
)

_SHMEM_TAILS = (
    ("syscall", ("shmem_write_begin", "generic_perform_write", "shmem_file_write_iter", "vfs_write",
                 "ksys_write", "__x64_sys_write")),
    ("fault", ("shmem_fault", "__do_fault", "do_shared_fault", "do_pte_missing", "__handle_mm_fault")),
    ("syscall", ("shmem_fallocate", "vfs_fallocate", "__x64_sys_fallocate")),
    ("syscall", ("shmem_read_folio_gfp", "drm_gem_get_pages", "drm_gem_shmem_get_pages",
                 "drm_gem_shmem_pin", "drm_gem_pin", "drm_gem_prime_handle_to_fd", "drm_ioctl_kernel",
                 "drm_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("shmem_write_begin", "generic_perform_write", "shmem_file_write_iter",
                 "__kernel_write_iter", "kernel_write", "xwrite.constprop.0", "do_copy",
                 "write_buffer", "flush_buffer", "__gunzip", "gunzip", "unpack_to_rootfs",
                 "do_populate_rootfs", "async_run_entry_fn")),
)

_ANON_TAILS = (
    ("fault", ("do_anonymous_page", "do_pte_missing", "__handle_mm_fault")),
    ("fault", ("wp_page_copy", "do_wp_page", "__handle_mm_fault")),
    ("fault", ("do_cow_fault", "do_pte_missing", "__handle_mm_fault")),
    ("syscall", ("do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "__get_user_pages",
                 "populate_vma_page_range", "__mm_populate", "vm_mmap_pgoff", "ksys_mmap_pgoff",
                 "__x64_sys_mmap")),
    ("syscall", ("do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "__get_user_pages",
                 "get_user_pages_remote", "get_arg_page", "copy_strings.isra.0",
                 "do_execveat_common.isra.0", "__x64_sys_execve")),
    ("syscall", ("do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "__get_user_pages",
                 "__gup_longterm_locked", "pin_user_pages_remote", "process_vm_rw_single_vec",
                 "process_vm_rw_core", "process_vm_rw", "__x64_sys_process_vm_readv")),
    ("syscall", ("do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "fixup_user_fault",
                 "futex_wake_op", "do_futex", "__x64_sys_futex")),
    ("syscall", ("do_anonymous_page", "__handle_mm_fault", "handle_mm_fault", "__get_user_pages",
                 "populate_vma_page_range", "__mm_populate", "do_mlock", "__x64_sys_mlock")),
)

_PTE_TAILS = (
    ("fault", ("pte_alloc_one", "__pte_alloc", "do_anonymous_page", "do_pte_missing",
               "__handle_mm_fault")),
    ("fault", ("__pmd_alloc", "__handle_mm_fault")),
    ("fault", ("__pud_alloc", "__handle_mm_fault")),
    ("syscall", ("pte_alloc_one", "__pte_alloc", "copy_pte_range", "copy_p4d_range",
                 "copy_page_range", "dup_mmap", "dup_mm", "copy_process", "kernel_clone",
                 "__do_sys_clone", "__x64_sys_clone")),
    ("syscall", ("pgd_alloc", "mm_init", "dup_mm", "copy_process", "kernel_clone", "__do_sys_clone",
                 "__x64_sys_clone")),
    ("syscall", ("pte_alloc_one", "__pte_alloc", "move_page_tables", "relocate_vma_down",
                 "setup_arg_pages", "load_elf_binary", "bprm_execve", "do_execveat_common.isra.0",
                 "__x64_sys_execve")),
)

_THP_TAILS = (
    ("fault", ("do_huge_pmd_anonymous_page", "__handle_mm_fault")),
    ("kthread_direct", ("collapse_huge_page", "hpage_collapse_scan_pmd",
                        "khugepaged_scan_mm_slot.constprop.0", "khugepaged")),
    ("syscall", ("do_huge_pmd_anonymous_page", "__handle_mm_fault", "handle_mm_fault",
                 "__get_user_pages", "populate_vma_page_range", "__mm_populate", "vm_mmap_pgoff",
                 "ksys_mmap_pgoff", "__x64_sys_mmap")),
)

_NET_TAILS = (
    ("syscall", ("skb_page_frag_refill", "sk_page_frag_refill", "tcp_sendmsg_locked", "tcp_sendmsg",
                 "inet_sendmsg", "__sock_sendmsg", "sock_write_iter", "vfs_write", "ksys_write",
                 "__x64_sys_write")),
    ("syscall", ("skb_page_frag_refill", "sk_page_frag_refill", "tcp_sendmsg_locked", "tcp_sendmsg",
                 "inet_sendmsg", "__sock_sendmsg", "__sys_sendto", "__x64_sys_sendto")),
    ("softirq", ("__page_pool_alloc_pages_slow", "page_pool_alloc_pages", "page_pool_alloc_frag",
                 "virtnet_rq_alloc.isra.0", "add_recvbuf_mergeable", "try_fill_recv",
                 "virtnet_receive", "virtnet_poll", "__napi_poll", "net_rx_action")),
    ("softirq", ("__netdev_alloc_frag_align", "__netdev_alloc_skb", "e1000_alloc_rx_buffers",
                 "e1000_clean", "__napi_poll", "net_rx_action")),
)

_CMA_HEAD = ("post_alloc_hook", "split_free_pages", "alloc_contig_range_noprof", "__cma_alloc",
             "cma_alloc")
_CMA_TAILS = (
    ("init", ("dma_alloc_contiguous", "__dma_direct_alloc_pages.isra.0", "dma_direct_alloc",
              "dma_alloc_attrs", "vring_alloc_queue", "vring_create_virtqueue_split",
              "vring_create_virtqueue", "setup_vq", "vp_setup_vq", "vp_find_vqs_msix", "vp_find_vqs",
              "init_vq", "virtblk_probe")),
    ("syscall", ("dma_alloc_contiguous", "__dma_direct_alloc_pages.isra.0", "dma_direct_alloc",
                 "dma_alloc_attrs", "drm_gem_dma_create", "drm_gem_dma_dumb_create",
                 "drm_mode_create_dumb", "drm_ioctl_kernel", "drm_ioctl", "__x64_sys_ioctl")),
    ("syscall", ("cma_alloc_folio", "alloc_gigantic_folio", "alloc_fresh_hugetlb_folio",
                 "alloc_pool_huge_folio", "set_max_huge_pages", "nr_hugepages_store_common",
                 "kernfs_fop_write_iter", "vfs_write", "ksys_write", "__x64_sys_write")),
)

_EARLY_PATHS = (
    ("register_early_stack", "init_page_owner", "page_alloc_init_late", "kernel_init_freeable"),
    ("register_dummy_stack", "init_page_owner", "page_alloc_init_late", "kernel_init_freeable"),
)

# gfp masks, by kind and by era group ("old": 4.6, "mid": 5.11-5.13, "new": 5.18+)
_MASKS: dict[str, dict[str, tuple[str, ...]]] = {
    "anon": {
        "old": ("0x24200ca(GFP_HIGHUSER_MOVABLE)", "0x24280ca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO)"),
        "mid": ("0x100cca(GFP_HIGHUSER_MOVABLE)", "0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO)"),
        "new": ("0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)",
                "0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO)"),
    },
    "pagecache_read": {
        "old": ("0x24213ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD|__GFP_NOWARN|__GFP_NORETRY)",
                "0x24200ca(GFP_HIGHUSER_MOVABLE)"),
        "mid": ("0x100cca(GFP_HIGHUSER_MOVABLE)",
                "0x1112cca(GFP_HIGHUSER_MOVABLE|__GFP_NOWARN|__GFP_NORETRY)"),
        "new": ("0x152c4a(GFP_NOFS|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|"
                "__GFP_HARDWALL|__GFP_MOVABLE)", "0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)"),
    },
    "pagecache_write": {
        "old": ("0x2420848(GFP_NOFS|__GFP_HARDWALL|__GFP_MOVABLE)",),
        "mid": ("0x101c4a(GFP_NOFS|__GFP_HIGHMEM|__GFP_HARDWALL|__GFP_MOVABLE|__GFP_WRITE)",
                "0x100c48(GFP_NOFS|__GFP_HARDWALL|__GFP_MOVABLE)"),
        "new": ("0x141c40(GFP_NOFS|__GFP_COMP|__GFP_HARDWALL|__GFP_WRITE)",
                "0x140c48(GFP_NOFS|__GFP_COMP|__GFP_HARDWALL|__GFP_MOVABLE)"),
    },
    "shmem": {
        "old": ("0x24200ca(GFP_HIGHUSER_MOVABLE)",),
        "mid": ("0x100cca(GFP_HIGHUSER_MOVABLE)",),
        "new": ("0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)",),
    },
    "slab": {
        "old": ("0x24000c0(GFP_KERNEL)", "0x2084020(GFP_ATOMIC|__GFP_COMP)",
                "0x24082c0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP)",
                "0x2408050(GFP_NOFS|__GFP_RECLAIMABLE|__GFP_COMP)"),
        "mid": ("0x12cc0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY)",
                "0x12cd0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_RECLAIMABLE)",
                "0xd20c0(__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC)",
                "0x12a20(GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY)"),
        "new": ("0x52cc0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP)",
                "0x52cd0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_RECLAIMABLE)",
                "0xd20c0(__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC)",
                "0x52820(GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP)",
                "0x452cc0(GFP_KERNEL_ACCOUNT|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP)"),
    },
    "vmalloc": {
        "old": ("0x24080c2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_ZERO)", "0x24000c2(GFP_KERNEL|__GFP_HIGHMEM)"),
        "mid": ("0xdc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_ZERO)", "0xcc2(GFP_KERNEL|__GFP_HIGHMEM)"),
        "new": ("0x2dc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_ZERO)",
                "0x2cc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_NOWARN)",
                "0x402dc2(GFP_KERNEL_ACCOUNT|__GFP_HIGHMEM|__GFP_NOWARN|__GFP_ZERO)"),
    },
    "net": {
        "old": ("0x2080020(GFP_ATOMIC)", "0x24280c0(GFP_KERNEL|__GFP_COMP|__GFP_NOWARN|__GFP_NORETRY)"),
        "mid": ("0xa20(GFP_ATOMIC)", "0x42dc0(GFP_KERNEL|__GFP_NOWARN|__GFP_COMP|__GFP_ZERO)"),
        "new": ("0x820(GFP_ATOMIC)", "0x920(GFP_ATOMIC|__GFP_ZERO)",
                "0x152cc0(GFP_USER|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP)"),
    },
    "pte": {
        "old": ("0x24000c0(GFP_KERNEL)", "0x24080c0(GFP_KERNEL|__GFP_ZERO)"),
        "mid": ("0x400dc0(GFP_KERNEL_ACCOUNT|__GFP_ZERO)",),
        "new": ("0x400dc0(GFP_KERNEL_ACCOUNT|__GFP_ZERO)",
                "0x440dc0(GFP_KERNEL_ACCOUNT|__GFP_COMP|__GFP_ZERO)"),
    },
    "thp": {
        "old": ("0x4742ca(GFP_TRANSHUGE|__GFP_THISNODE)",),
        "mid": ("0x1c20ca(GFP_TRANSHUGE_LIGHT)", "0x1d20ca(GFP_TRANSHUGE|__GFP_NORETRY)"),
        "new": ("0x1c20ca(GFP_TRANSHUGE_LIGHT)", "0x1d2cca(GFP_TRANSHUGE|__GFP_NORETRY)"),
    },
    "cma": {
        "old": ("0x24000c0(GFP_KERNEL)",),
        "mid": ("0xcc0(GFP_KERNEL)",),
        "new": ("0xcc0(GFP_KERNEL)", "0x1100cca(GFP_HIGHUSER_MOVABLE)"),
    },
    "kernel": {
        "old": ("0x24000c0(GFP_KERNEL)", "0x24080c0(GFP_KERNEL|__GFP_ZERO)", "0x2000200(GFP_NOWAIT|__GFP_NOWARN)"),
        "mid": ("0xcc0(GFP_KERNEL)", "0xdc0(GFP_KERNEL|__GFP_ZERO)", "0x2cc0(GFP_KERNEL|__GFP_NOWARN)"),
        "new": ("0xcc0(GFP_KERNEL)", "0xdc0(GFP_KERNEL|__GFP_ZERO)", "0x2cc0(GFP_KERNEL|__GFP_NOWARN)",
                "0x92cc0(GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC)",
                "0x2cc1(GFP_KERNEL|GFP_DMA|__GFP_NOWARN)"),
    },
    "early": {"old": ("0x0()",), "mid": ("0x0()",), "new": ("0x0()",)},
}

# Page-flag names by kind (alternatives; the first is the most common).
_FLAGS = {
    "anon": (("referenced", "uptodate", "dirty", "lru", "swapbacked"),
             ("uptodate", "dirty", "lru", "active", "swapbacked"),
             ("referenced", "uptodate", "dirty", "lru", "workingset", "swapbacked")),
    "pagecache_read": (("uptodate", "lru"), ("referenced", "uptodate", "lru", "active"),
                       ("referenced", "uptodate", "lru", "workingset", "private"),
                       ("uptodate", "lru", "mappedtodisk")),
    "pagecache_write": (("uptodate", "dirty", "lru"), ("uptodate", "lru"),
                        ("uptodate", "dirty", "lru", "private", "writeback")),
    "shmem": (("uptodate", "dirty", "lru", "swapbacked"),
              ("referenced", "uptodate", "dirty", "lru", "workingset", "swapbacked")),
    "slab": (("slab",), ("slab",)),
    "vmalloc": ((), ()),
    "net": ((), ()),
    "pte": ((), ("reserved",)),
    "thp": (("uptodate", "dirty", "lru", "swapbacked"), ("uptodate", "lru", "active", "swapbacked")),
    "cma": ((), ()),
    "kernel": ((), ("reserved",), ("workingset",)),
    "early": ((), ()),
}

# Bit numbers for flag names: a layout with ``slab`` (up to ~v6.9) and the
# v6.10+ layout without it.
_FLAG_BITS_SLAB = dict(locked=0, error=1, referenced=2, uptodate=3, dirty=4, lru=5, active=6,
                       workingset=7, waiters=8, slab=9, owner_priv_1=10, arch_1=11, reserved=12,
                       private=13, private_2=14, writeback=15, head=16, mappedtodisk=17, reclaim=18,
                       swapbacked=19, unevictable=20, mlocked=21)
_FLAG_BITS_NOSLAB = dict(locked=0, writeback=1, referenced=2, uptodate=3, dirty=4, lru=5, head=6,
                         waiters=7, active=8, workingset=9, owner_priv_1=10, owner_2=11, arch_1=12,
                         reserved=13, private=14, private_2=15, reclaim=16, swapbacked=17,
                         unevictable=18, mlocked=19, mappedtodisk=20)

_RUN_MEAN = dict(anon=24.0, pagecache_read=16.0, pagecache_write=24.0, shmem=32.0, slab=2.0,
                 vmalloc=4.0, net=3.0, pte=1.5, thp=1.5, cma=24.0, kernel=2.0, early=64.0)
_MIGRATE_RATE = dict(anon=0.015, pagecache_read=0.01, pagecache_write=0.008, shmem=0.012, thp=0.02,
                     cma=0.01)
_MIGRATE_REASONS = ("compaction", "numa_misplaced", "syscall_or_cpuset", "mempolicy_mbind",
                    "memory_hotplug", "contig_range", "longterm_pin", "demotion", "memory_failure")
_MIGRATE_P = np.array([70, 8, 4, 3, 3, 4, 3, 4, 1], dtype=float)

# First ranks of the Zipf law get fixed kinds so that small dumps show every
# feature; the rest are drawn from _KIND_WEIGHTS.
_TOP_KINDS = ("anon", "pagecache_write", "pagecache_read", "slab", "shmem", "vmalloc", "early",
              "slab", "net", "thp", "pte", "cma", "kernel", "slab", "pagecache_read", "anon",
              "vmalloc", "slab", "shmem", "kernel")
_EARLY_RANKS = (6, 45)
_KIND_WEIGHTS = dict(anon=6, pagecache_read=10, pagecache_write=6, shmem=3, slab=45, vmalloc=8,
                     net=4, pte=5, thp=2, cma=2, kernel=9)

_MEMCG_NAMES = ("system.slice", "user@1000.service", "session-3.scope", "init.scope",
                "systemd-journald.service", "NetworkManager.service", "sshd.service",
                "docker-3f2a9c1e77d04b5e8a1f6c2d9e0b7a4c5d6e8f9012345678abcdef0123456789.scope",
                "user-1000.slice", "app-gnome-firefox-2231.scope", "/", "libpod-conmon-e59cc83f.scope",
                "postgresql.service", "cron.service")

# ---------------------------------------------------------------------------
# Era handling
# ---------------------------------------------------------------------------

def _era_group(era: str) -> str:
    return "old" if era == "4.6" else ("mid" if era in ("5.11", "5.13") else "new")


_RENAMES_OLD = {  # 4.6
    "post_alloc_hook": None, "get_page_from_freelist": None,
    "__alloc_pages_noprof": "__alloc_pages_nodemask", "alloc_pages_mpol_noprof": "alloc_pages_current",
    "folio_alloc_mpol_noprof": None, "vma_alloc_folio_noprof": "alloc_pages_vma",
    "folio_alloc_noprof": "__page_cache_alloc", "alloc_pages_bulk_noprof": "alloc_pages_current",
    "entry_SYSCALL_64_after_hwframe": "entry_SYSCALL_64_fastpath", "ret_from_fork_asm": None,
    "asm_exc_page_fault": "page_fault", "exc_page_fault": "do_page_fault",
    "do_user_addr_fault": "__do_page_fault", "handle_softirqs": "__do_softirq",
    "__kmalloc_cache_noprof": "kmem_cache_alloc_trace", "allocate_slab": "new_slab",
    "do_pte_missing": None, "page_alloc_init_late": "page_ext_init", "split_free_pages": None,
    "alloc_contig_range_noprof": "alloc_contig_range", "asm_common_interrupt": "ret_from_intr",
    "common_interrupt": "do_IRQ", "__irq_exit_rcu": "irq_exit",
}
_RENAMES_MID = {  # 5.11, 5.13
    "__alloc_pages_noprof": "__alloc_pages_nodemask", "alloc_pages_mpol_noprof": "alloc_pages_current",
    "folio_alloc_mpol_noprof": None, "vma_alloc_folio_noprof": "alloc_pages_vma",
    "folio_alloc_noprof": "__page_cache_alloc", "alloc_pages_bulk_noprof": "alloc_pages_current",
    "ret_from_fork_asm": None, "handle_softirqs": "__do_softirq",
    "__kmalloc_cache_noprof": "kmem_cache_alloc_trace", "do_pte_missing": None,
    "page_alloc_init_late": "page_ext_init", "split_free_pages": None,
    "post_alloc_hook": "prep_new_page",
}
_RENAMES_MID13 = dict(_RENAMES_MID, **{
    "__alloc_pages_noprof": "__alloc_pages", "alloc_pages_mpol_noprof": "alloc_pages",
    "alloc_pages_bulk_noprof": "__alloc_pages_bulk", "post_alloc_hook": None,
})
_RENAMES_NEW = {  # 5.18, 6.5
    "__alloc_pages_noprof": "__alloc_pages", "alloc_pages_mpol_noprof": "alloc_pages",
    "folio_alloc_mpol_noprof": None, "alloc_pages_bulk_noprof": "__alloc_pages_bulk",
    "ret_from_fork_asm": None, "handle_softirqs": "__do_softirq",
    "__kmalloc_cache_noprof": "kmalloc_trace", "split_free_pages": None,
}


def _rename(era: str, sym: str) -> str | None:
    if era == "6.7":
        # like 6.12's stack depot: the trace starts at get_page_from_freelist
        return None if sym == "post_alloc_hook" else sym
    table = {"4.6": _RENAMES_OLD, "5.11": _RENAMES_MID, "5.13": _RENAMES_MID13}.get(era, _RENAMES_NEW)
    if sym in table:
        return table[sym]
    if era == "4.6" and sym.startswith("__x64_sys_"):
        return "SyS_" + sym[len("__x64_sys_"):]
    if sym.endswith("_noprof"):
        return sym[: -len("_noprof")]
    return sym


@functools.lru_cache(maxsize=None)
def _module_of(sym: str) -> str | None:
    if sym in _NOT_MODULE:
        return None
    for prefix, mod in _MODULE_PREFIXES:
        if sym.startswith(prefix):
            return mod
    return None


def _hash64(*parts: object) -> int:
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8)
    return int.from_bytes(h.digest(), "little")


# ---------------------------------------------------------------------------
# Call paths
# ---------------------------------------------------------------------------

class _Path:
    __slots__ = ("kind", "frames", "tail", "mask", "mt", "order", "alt_order", "flags", "memcg",
                 "run_mean", "mig_rate", "always_cma")

    def __init__(self, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)


def _mt_of_mask(mask: str) -> str:
    if "MOVABLE" in mask or "TRANSHUGE" in mask:
        return "Movable"
    if "__GFP_RECLAIMABLE" in mask:
        return "Reclaimable"
    return "Unmovable"


def _pick(rng: np.random.Generator, seq: tuple | list) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _caller_slice(rng: np.random.Generator, chain: tuple[str, ...]) -> tuple[str, ...]:
    # any depth of the chain can allocate; shallow (inner) sites a bit more often
    start = int(min(len(chain) - 1, rng.integers(0, len(chain)) * rng.random() ** 0.5))
    return chain[start:]


def _build_frames(rng: np.random.Generator, kind: str) -> tuple[tuple[str, ...], str]:
    """Return (modern frame names innermost first, tail key) for one path."""
    if kind == "early":
        raise AssertionError("early paths are fixed")
    head = _HEAD
    if kind == "anon":
        tail, chain = _pick(rng, _ANON_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "vma_alloc_folio_noprof")
        if rng.random() < 0.5:
            mid = ("alloc_pages_mpol_noprof", "vma_alloc_folio_noprof")
        return head + mid + chain + _TAILS[tail], tail
    if kind == "thp":
        tail, chain = _pick(rng, _THP_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "vma_alloc_folio_noprof")
        return head + mid + chain + _TAILS[tail], tail
    if kind == "pagecache_read":
        tail, chain = _pick(rng, _FS_READ)
        mid = _pick(rng, (("folio_alloc_noprof",), ("alloc_pages_mpol_noprof", "folio_alloc_noprof"),
                          ("folio_alloc_mpol_noprof", "folio_alloc_noprof")))
        ra = _pick(rng, _RA)
        return head + mid + ra + chain + _TAILS[tail], tail
    if kind == "pagecache_write":
        tail, chain = _pick(rng, _FS_WRITE)
        mid = _pick(rng, (("folio_alloc_noprof", "__filemap_get_folio"),
                          ("alloc_pages_mpol_noprof", "folio_alloc_noprof", "__filemap_get_folio"),
                          ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "folio_alloc_noprof",
                           "__filemap_get_folio")))
        return head + mid + chain + _TAILS[tail], tail
    if kind == "shmem":
        tail, chain = _pick(rng, _SHMEM_TAILS)
        mid = ("alloc_pages_mpol_noprof", "folio_alloc_mpol_noprof", "shmem_alloc_folio",
               "shmem_alloc_and_add_folio", "shmem_get_folio_gfp")
        if rng.random() < 0.3:
            mid = mid[1:]
        return head + mid + chain + _TAILS[tail], tail
    if kind == "pte":
        tail, chain = _pick(rng, _PTE_TAILS)
        mid = ("alloc_pages_mpol_noprof",) if rng.random() < 0.7 else ()
        return head + mid + chain + _TAILS[tail], tail
    if kind == "net":
        tail, chain = _pick(rng, _NET_TAILS)
        mid = ("alloc_pages_mpol_noprof",) if rng.random() < 0.5 else ()
        return head + mid + _caller_slice(rng, chain) + _TAILS[tail], tail
    if kind == "cma":
        tail, chain = _pick(rng, _CMA_TAILS)
        return _CMA_HEAD + chain + _TAILS[tail], tail
    tail, chain = _pick(rng, _CALLERS)
    callers = _caller_slice(rng, chain)
    if kind == "slab":
        mid: tuple[str, ...] = ("allocate_slab", "___slab_alloc")
        if rng.random() < 0.4:
            mid = ("alloc_pages_mpol_noprof",) + mid
        if rng.random() < 0.2:
            mid = mid + ("__slab_alloc.constprop.0",)
        helper = _pick(rng, _HELPERS)
        return head + mid + (_pick(rng, _SLAB_API),) + helper + callers + _TAILS[tail], tail
    if kind == "vmalloc":
        # a frame naming alloc_pages right inside __vmalloc_node_range (VMALLOC for the
        # C tool), or rarely an intermediate frame that hides it
        inner = _pick(rng, (("alloc_pages_bulk_noprof",),) * 4 + (("alloc_pages_mpol_noprof",),) * 3
                      + (("alloc_pages_mpol_noprof", "__vmalloc_area_node"),))
        mid = inner + ("__vmalloc_node_range_noprof", _pick(rng, _VMALLOC_API))
        return head + mid + callers + _TAILS[tail], tail
    if kind == "kernel":
        mid = (_pick(rng, _KERNEL_API),)
        if rng.random() < 0.4:
            mid = ("alloc_pages_mpol_noprof",) + mid
        return head + mid + callers + _TAILS[tail], tail
    raise ValueError(kind)


def _finish_frames(era: str, frames: Iterable[str], min_frames: int) -> tuple[str, ...] | None:
    out = []
    for f in frames:
        r = _rename(era, f)
        if r is not None:
            out.append(r)
    out = out[:16]  # PAGE_OWNER_STACK_DEPTH: the outermost frames are lost
    if len(out) < min_frames:
        return None
    return tuple(out)


def _build_paths(rng: np.random.Generator, era: str, n_paths: int) -> list[_Path]:
    group = _era_group(era)
    kinds = list(_KIND_WEIGHTS)
    weights = np.array([_KIND_WEIGHTS[k] for k in kinds], dtype=float)
    weights /= weights.sum()
    seen: set[tuple[str, ...]] = set()
    paths: list[_Path] = []
    early_idx = 0
    filler = 0
    while len(paths) < n_paths:
        rank = len(paths)
        if rank in _EARLY_RANKS:
            kind = "early"
        elif rank < len(_TOP_KINDS):
            kind = _TOP_KINDS[rank]
        else:
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
        if kind == "early" and early_idx >= len(_EARLY_PATHS):
            kind = "slab"
        frames: tuple[str, ...] | None
        if kind == "early":
            frames = _finish_frames(era, _EARLY_PATHS[early_idx], 2)
            early_idx += 1
            tail = "none"
        else:
            frames = None
            while frames is None:
                for _attempt in range(60):
                    raw, tail = _build_frames(rng, kind)
                    if rank < 40 and "__vmalloc_area_node" in raw:
                        continue  # popular vmalloc paths are ones the tools recognise
                    frames = _finish_frames(era, raw, 5)
                    if frames is not None and frames not in seen:
                        break
                    frames = None
                else:
                    # this kind's vocabulary is (nearly) used up: draw another kind
                    weights[kinds.index(kind)] = 0.0
                    if weights.sum() > 0:
                        weights /= weights.sum()
                        kind = kinds[int(rng.choice(len(kinds), p=weights))]
                        continue
                    # everything is used up (huge n_paths): invent a driver caller
                    filler += 1
                    kind = "slab"
                    raw, tail = _build_frames(rng, kind)
                    frames = _finish_frames(era, raw[:6] + (f"drv{filler}_probe",) + raw[6:], 5)
        assert frames is not None
        if frames in seen:
            continue
        seen.add(frames)
        masks = _MASKS[kind][group]
        mask = masks[0] if rng.random() < 0.6 else _pick(rng, masks)
        order = 0
        if kind == "slab":
            order = int(_pick(rng, (0, 0, 0, 0, 1, 1, 2, 3)))
            if order >= 1 and group == "new" and rng.random() < 0.5:
                mask = "0xd20c0(__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC)"
        elif kind == "pagecache_read":
            order = int(_pick(rng, (0,) * 8 + (2, 4)))
        elif kind == "thp":
            order = 9
        elif kind == "net":
            order = 3 if "skb_page_frag_refill" in frames else 0
        elif kind == "pte":
            order = 1 if "pgd_alloc" in frames else 0
        elif kind == "kernel":
            order = int(_pick(rng, (0, 0, 0, 0, 1, 2, 4)))
            if rank % 97 == 41:
                order = 10
        elif kind == "cma" and any(f.startswith("alloc_gigantic") for f in frames):
            order = 9
        alt_order = 0 if order > 0 else (1 if kind in ("slab", "kernel") else 0)
        flag_opts = _FLAGS[kind]
        # memcg mode
        memcg = None
        if group == "new":
            if kind in ("anon", "pagecache_read", "pagecache_write", "shmem", "thp"):
                memcg = "charge"
            elif "ACCOUNT" in mask:
                memcg = "slab_objcg" if kind == "slab" else "objcg"
            elif kind == "slab" and rng.random() < 0.25:
                memcg = "slab_only"
        paths.append(_Path(kind=kind, frames=frames, tail=tail, mask=mask, mt=_mt_of_mask(mask),
                           order=order, alt_order=alt_order, flags=flag_opts, memcg=memcg,
                           run_mean=_RUN_MEAN[kind],
                           mig_rate=_MIGRATE_RATE.get(kind, 0.002), always_cma=(kind == "cma")))
    return paths


# ---------------------------------------------------------------------------
# Frame rendering (depends on the "kernel build", i.e. stack_variant)
# ---------------------------------------------------------------------------

_KEEP_NAME = frozenset(_HEAD) | {"prep_new_page", "__alloc_pages", "__alloc_pages_nodemask",
                                 "register_early_stack", "register_dummy_stack", "init_page_owner"}
_SUFFIXES = (".isra.0", ".constprop.0", ".part.0", ".isra.{n}", ".constprop.{n}", ".cold")


@functools.lru_cache(maxsize=None)
def _sym_name(sym: str, variant: int) -> str:
    if sym in _KEEP_NAME or "." in sym or variant == 0:
        return sym
    h = _hash64("suffix", variant, sym)
    if h % 100 < 8:
        suf = _SUFFIXES[(h >> 8) % len(_SUFFIXES)].format(n=(h >> 16) % 90)
        return sym + suf
    return sym


_SMALL_SYMS = ("__x64_sys_", "SyS_", "entry_SYSCALL", "ret_from_fork", "asm_", "kernel_init",
               "kthread", "__do_sys_", "ksys_")
_SIZE_RANGE = {  # (lo, hi) for well-known frames
    "post_alloc_hook": (0x100, 0x240), "prep_new_page": (0x30, 0x100),
    "get_page_from_freelist": (0xc00, 0x1800), "__alloc_pages_noprof": (0x300, 0x450),
    "__alloc_pages": (0x300, 0x450), "__alloc_pages_nodemask": (0x200, 0x400),
    "alloc_pages_mpol_noprof": (0x80, 0x200), "alloc_pages": (0x80, 0x200),
    "alloc_pages_current": (0x80, 0x180), "do_syscall_64": (0x80, 0x190),
    "entry_SYSCALL_64_after_hwframe": (0x70, 0x80), "do_one_initcall": (0x200, 0x330),
}


@functools.lru_cache(maxsize=None)
def _sym_size(sym: str, variant: int) -> int:
    h = _hash64("size", variant, sym)
    # log-uniform: wrappers and entry code are small, the rest 0x40..0x2000
    lo, hi = (0x10, 0x200) if sym.startswith(_SMALL_SYMS) else (0x40, 0xc00)
    lo, hi = _SIZE_RANGE.get(sym, (lo, hi))
    frac = (h & 0xFFFFFF) / 0xFFFFFF
    if hi > 0x400 and (h >> 32) % 10 == 0:
        hi *= 3  # a few big functions
    return int(lo * (hi / lo) ** frac)


def _render_stack(era: str, frames: tuple[str, ...], variant: int) -> str:
    lines = []
    for i, sym in enumerate(frames):
        callee = frames[i - 1] if i else ""
        size = _sym_size(sym, variant)
        # a return address: somewhere after the first few bytes of the caller
        off = size // 16 + 1 + _hash64("off", variant, sym, callee) % max(1, size - size // 16 - 1)
        name = _sym_name(sym, variant)
        mod = _module_of(sym)
        tail = f" [{mod}]" if mod else ""
        if era == "4.6":
            base = (0xffffffffc0000000 if mod else 0xffffffff81000000) + \
                (_hash64("addr", variant, sym) % 0xf0000) * 16
            lines.append(f" [<{base + off:016x}>] {name}+0x{off:x}/0x{size:x}{tail}\n")
        else:
            lines.append(f" {name}+0x{off:x}/0x{size:x}{tail}\n")
    return "".join(lines)


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------

_USER_PROCS = (
    ("systemd", (), 1), ("systemd-journal", (), 1), ("systemd-udevd", ("(udev-worker)",) * 3, 1),
    ("systemd-logind", (), 1), ("systemd-resolve", (), 1), ("systemd-timesyn", ("sd-resolve",), 1),
    ("(sd-pam)", (), 2), ("dbus-daemon", (), 2), ("NetworkManager", ("gmain", "gdbus"), 1),
    ("sshd", (), 3), ("bash", (), 8), ("sh", (), 5), ("dd", (), 3), ("cat", (), 3), ("find", (), 2),
    ("ls", (), 2), ("cp", (), 2), ("tar", (), 1), ("python3", ("python3",), 4),
    ("node", ("node", "libuv-worker"), 2),
    ("java", ("C2 CompilerThre", "C1 CompilerThre", "GC Thread#0", "VM Thread", "G1 Refine#0"), 2),
    ("firefox", ("Web Content", "Isolated Web Co", "Socket Thread", "DOM Worker", "Renderer"), 1),
    ("Isolated Web Co", ("DOM Worker", "JS Watchdog"), 3),
    ("chrome", ("Chrome_IOThread", "Chrome_ChildIOT", "ThreadPoolForeg"), 2),
    ("gnome-shell", ("gmain", "gdbus", "pool-gnome-shel", "JS Helper"), 1), ("Xorg", ("InputThread",), 1),
    ("rsyslogd", ("rs:main Q:Reg", "in:imjournal"), 1), ("containerd", ("containerd",), 1),
    ("dockerd", ("dockerd",), 1), ("containerd-shim", (), 3), ("runc:[2:INIT]", (), 1),
    ("postgres", (), 6), ("mysqld", ("ib_io_wr-1", "ib_pg_flush_co"), 1), ("stress-ng-brk", (), 2),
    ("qemu-system-x86", ("CPU 0/KVM", "CPU 1/KVM", "worker"), 2), ("cron", (), 1), ("(ostnamed)", (), 1),
    ("agetty", (), 1), ("make", (), 2), ("cc1", (), 4), ("ld", (), 1), ("git", (), 2),
    ("cargo", ("jobserver", "rustc"), 1), ("app,v2", ("worker,1",), 1), ("job,42", (), 1),
    ("(spawn)", (), 1), ("podman", ("conmon",), 1), ("kubelet", ("kubelet",), 1),
)
_KTHREADS = (
    "kthreadd", "rcu_gp", "rcu_preempt", "migration/0", "migration/1", "ksoftirqd/0", "ksoftirqd/1",
    "ksoftirqd/2", "ksoftirqd/3", "kworker/0:0", "kworker/0:1", "kworker/0:2", "kworker/1:1",
    "kworker/1:1H", "kworker/0:0H", "kworker/2:2", "kworker/3:1", "kworker/u8:0", "kworker/u8:1",
    "kworker/u8:2", "kworker/u8:3", "kworker/u8:4", "kworker/u8:7", "kworker/u8:12", "kworker/u9:1",
    "kworker/u16:10", "kworker/R-rcu_g", "kworker/R-kbloc", "kworker/R-write", "kswapd0",
    "khugepaged", "kcompactd0", "oom_reaper", "kdevtmpfs", "jbd2/vda1-8", "xfsaild/dm-0",
    "cpuhp/0", "cpuhp/1", "irq/24-virtio0-", "scsi_eh_0", "kauditd", "khungtaskd", "kthrotld",
    "ext4-rsv-conver", "kblockd", "watchdogd", "card0-crtc0", "nfsiod", "kstrp", "zswap-shrink",
)
_COMM_HIJACK = re.compile(r"ts\s*[0-9]*\s*ns|\),\s*ts|tgid|\n")


class _Tasks:
    """pid/tgid/comm/memcg of a few hundred tasks, split into classes."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.pid: list[int] = []
        self.tgid: list[int] = []
        self.comm: list[str] = []
        self.memcg: list[str | None] = []
        self.classes: dict[str, list[int]] = {"user": [], "kthread": [], "init": [], "irq": [], "early": []}

        def add(pid: int, tgid: int, comm: str, memcg: str | None, *classes: str) -> int:
            assert len(comm.encode()) <= 15 and not _COMM_HIJACK.search(comm), comm
            i = len(self.pid)
            self.pid.append(pid)
            self.tgid.append(tgid)
            self.comm.append(comm)
            self.memcg.append(memcg)
            for c in classes:
                self.classes[c].append(i)
            return i

        # early boot and idle
        add(1, 1, "swapper/0", None, "early", "init")
        add(0, 0, "swapper/0", None, "early", "irq")
        for cpu in (1, 2, 3):
            add(0, 0, f"swapper/{cpu}", None, "irq")
        used = {0, 1}
        kpid = 2
        for name in _KTHREADS:
            pid = kpid if kpid < 200 else int(rng.integers(200, 40000))
            while pid in used:
                pid += 1
            used.add(pid)
            kpid += int(rng.integers(1, 12))
            cls = ["kthread"]
            if name in ("kthreadd",) or name.startswith(("kworker/u8", "kworker/0:", "cpuhp")):
                cls.append("init")
            if name.startswith("ksoftirqd"):
                cls.append("irq")
            add(pid, pid, name, None, *cls)
        for comm, threads, copies in _USER_PROCS:
            for _ in range(copies):
                tgid = 1 if comm == "systemd" else int(rng.integers(300, 4_000_000 if rng.random() < 0.1 else 60_000))
                while tgid in used:
                    tgid += 1
                used.add(tgid)
                # about half of the processes are not charged to any memcg
                memcg = _pick(rng, _MEMCG_NAMES) if rng.random() < 0.5 else None
                add(tgid, tgid, comm, memcg, "user")
                if comm in ("systemd", "bash") and len(self.classes["irq"]) < 12:
                    self.classes["irq"].append(len(self.pid) - 1)
                for t in threads:
                    pid = tgid + int(rng.integers(1, 64))
                    while pid in used:
                        pid += 1
                    used.add(pid)
                    add(pid, tgid, t, memcg, "user")
        self.n = len(self.pid)


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------

def _flags_string(era: str, names: tuple[str, ...], head: bool, zone: int, slab_flag: bool) -> str:
    bits = _FLAG_BITS_SLAB if slab_flag else _FLAG_BITS_NOSLAB
    names = tuple(n for n in names if n in bits and (slab_flag or n != "slab"))
    if head and "head" not in names:
        names = names + ("head",)
    names = tuple(sorted(set(names), key=bits.__getitem__))
    value = 0
    for n in names:
        value |= 1 << bits[n]
    if era in ("4.6", "5.11", "5.13"):
        value |= zone << 56
        return f"0x{value:x}({'|'.join(names)})"
    value |= (zone << 51) | (0x1FFFFF << 30)
    fields = f"node=0|zone={zone}|lastcpupid=0x1fffff"
    return f"0x{value:x}({'|'.join(names + (fields,))})"


_TEMPLATES = {
    "4.6": "%s\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.11": "%s%s%d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.13": "%s%s%d ns, free_ts %d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "5.18": "%s%s%d ns, free_ts %d ns\nPFN %d type %s Block %d type %s Flags %s\n%s%s\n",
    "6.5": "%s%s%d ns, free_ts %d ns\nPFN 0x%x type %s Block %d type %s Flags %s\n%s%s\n",
    "6.7": "%s%s%d ns\nPFN 0x%x type %s Block %d type %s Flags %s\n%s%s\n",
}

_BMT_NAMES = ("Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA")


class _Model:
    """Everything that is fixed for a dump: paths, tasks, rendered strings."""

    def __init__(self, *, era: str, seed: int, n_paths: int, zipf_a: float, stack_variant: int,
                 slab_flag: bool) -> None:
        if era not in ERAS:
            raise ValueError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
        if n_paths < 1:
            raise ValueError("n_paths must be >= 1")
        self.era = era
        ss = np.random.SeedSequence(seed)
        s_paths, s_tasks, s_stream, s_plant, s_affinity = ss.spawn(5)
        self.rng_stream = np.random.default_rng(s_stream)
        self.rng_plant = np.random.default_rng(s_plant)
        prng = np.random.default_rng(s_paths)
        self.paths = _build_paths(prng, era, n_paths)
        self.tasks = _Tasks(np.random.default_rng(s_tasks))
        n = len(self.paths)
        w = 1.0 / np.arange(1, n + 1, dtype=float) ** zipf_a
        self.cdf = np.cumsum(w) / w.sum()
        self.cdf[-1] = 1.0

        # per path arrays
        self.run_mean = np.array([p.run_mean for p in self.paths])
        self.order = np.array([p.order for p in self.paths], dtype=np.int64)
        self.alt_order = np.array([p.alt_order for p in self.paths], dtype=np.int64)
        self.mig_rate = np.array([p.mig_rate for p in self.paths])
        self.is_early = np.array([p.kind == "early" for p in self.paths])
        self.always_cma = np.array([p.always_cma for p in self.paths])
        mt_code = {"Unmovable": 0, "Movable": 1, "Reclaimable": 2}
        self.mt = np.array([mt_code[p.mt] for p in self.paths], dtype=np.int64)
        self.mt_str = np.array([p.mt for p in self.paths], dtype=object)
        self.n_flag_opts = np.array([len(p.flags) for p in self.paths], dtype=np.int64)

        # task choices per path (1-3 tasks of the tail's class, biased to a few)
        trng = np.random.default_rng(s_affinity)
        # within each task class a few tasks are much busier than the rest
        popular = {c: [v[j] for j in trng.permutation(len(v))] for c, v in self.tasks.classes.items()}
        self.path_tasks = np.zeros((n, 3), dtype=np.int64)
        self.path_ntasks = np.zeros(n, dtype=np.int64)
        for i, p in enumerate(self.paths):
            cls = popular[_TAIL_CLASS[p.tail]]
            if p.kind == "early":
                early = self.tasks.classes["early"]
                cands = [early[0]] if "dummy" not in p.frames[0] else [early[1]]
            else:
                k = int(trng.integers(1, 4))
                cw = 1.0 / np.arange(1, len(cls) + 1) ** 0.8
                cands = [cls[j] for j in trng.choice(len(cls), size=min(k, len(cls)),
                                                     replace=False, p=cw / cw.sum())]
            self.path_ntasks[i] = len(cands)
            self.path_tasks[i, : len(cands)] = cands
            self.path_tasks[i, len(cands):] = cands[0]

        # rendered strings
        self.stack = np.array([_render_stack(era, p.frames, stack_variant) for p in self.paths],
                              dtype=object)
        self.flags_tbl = np.empty(n * 3 * 2 * 3, dtype=object)  # path, opt, head, zone
        for i, p in enumerate(self.paths):
            for o in range(3):
                names = p.flags[min(o, len(p.flags) - 1)]
                for h in (0, 1):
                    for z in range(3):
                        self.flags_tbl[((i * 3 + o) * 2 + h) * 3 + z] = _flags_string(
                            era, names, bool(h), z, slab_flag)
        t = self.tasks
        if era == "4.6":
            self.task_str = np.array([""] * t.n, dtype=object)
        elif era in ("5.11", "5.13"):
            self.task_str = np.array([f"{pid}, ts " for pid in t.pid], dtype=object)
        else:
            self.task_str = np.array([f"{pid}, tgid {tg} ({c}), ts "
                                      for pid, tg, c in zip(t.pid, t.tgid, t.comm)], dtype=object)
        self.hdr_cache: dict[int, str] = {}
        self.trailer_cache: dict[tuple[int, int], str] = {}
        self.memcg_strings: list[str] = [""]
        self.memcg_index: dict[str, int] = {"": 0}
        self.mig_strings = [""] + [f"Page has been migrated, last migrate reason: {r}\n"
                                   for r in _MIGRATE_REASONS]
        self.template = _TEMPLATES[era]

    def header(self, key: int) -> str:
        s = self.hdr_cache.get(key)
        if s is None:
            p = self.paths[key // _MAX_ORDER_SHIFT]
            order = key % _MAX_ORDER_SHIFT
            s = f"Page allocated via order {order}, mask {p.mask}"
            if self.era != "4.6":
                s += ", pid "
            self.hdr_cache[key] = s
        return s

    def memcg_code(self, path: int, task: int, offline: bool) -> int:
        mode = self.paths[path].memcg
        cg = self.tasks.memcg[task]
        if mode is None or cg is None and mode != "slab_only":
            return 0
        cg = cg or "/"
        off = "offline " if offline and cg != "/" else ""
        if mode == "charge":
            s = f"Charged to {off}memcg {cg}\n"
        elif mode == "objcg":
            s = f"Charged (via objcg) to {off}memcg {cg}\n"
        elif mode == "slab_objcg":
            s = f"Slab cache page\nCharged (via objcg) to {off}memcg {cg}\n"
        else:
            s = "Slab cache page\n"
        i = self.memcg_index.get(s)
        if i is None:
            i = self.memcg_index[s] = len(self.memcg_strings)
            self.memcg_strings.append(s)
        return i


class _Emitter:
    """Produces the dump batch by batch."""

    RUNS_PER_BATCH = 512

    def __init__(self, model: _Model, plants: list[dict[str, int]], expected_blocks: int) -> None:
        self.m = model
        self.pfn = 0x100
        self.clock = 2_000_000_000          # ns; regular allocations start after boot
        self.early_clock = 742_000_000      # even, like every regular timestamp
        self.plant_ts = 1                   # planted timestamps are odd and increasing
        # planted chunks: (target base-block position, path, count)
        self.pending: list[tuple[int, int, int]] = []
        prng = model.rng_plant
        for spec in plants:
            k, n = int(spec["path"]), int(spec["blocks"])
            if not 0 <= k < len(model.paths):
                raise ValueError(f"plant path {k} out of range 0..{len(model.paths) - 1}")
            left = n
            while left > 0:
                c = int(min(left, prng.integers(1, 65)))
                pos = int(prng.random() * 0.95 * max(1, expected_blocks))
                self.pending.append((pos, k, c))
                left -= c
        self.pending.sort()
        self.base_blocks = 0
        self.paths_seen = np.zeros(len(model.paths), dtype=bool)

    def batch(self, max_base_blocks: int | None) -> tuple[list[str], list[bool]]:
        """Return (block strings, is_base flags) for one batch of runs."""
        m = self.m
        rng = m.rng_stream
        R = self.RUNS_PER_BATCH
        p = np.searchsorted(m.cdf, rng.random(R), side="right").clip(0, len(m.paths) - 1)
        L = np.minimum(rng.geometric(1.0 / m.run_mean[p]), 4096).astype(np.int64)
        task = m.path_tasks[p, (rng.random(R) * m.path_ntasks[p]).astype(np.int64)]
        order = np.where(rng.random(R) < 0.03, m.alt_order[p], m.order[p])
        fopt = np.where(rng.random(R) < 0.8, 0, (rng.random(R) * m.n_flag_opts[p]).astype(np.int64))
        u = rng.random(R)
        mt = m.mt[p]
        # pageblock type: usually the page's own; movable pages sometimes sit
        # in CMA pageblocks; a few fall back into another type's pageblock
        bmt = np.where(u > 0.99, np.array([2, 0, 0])[mt], mt)
        bmt[(u > 0.999) & (mt == 0)] = 3
        bmt[(mt == 1) & (u < 0.04)] = 4
        bmt[m.always_cma[p]] = 4
        offline = rng.random(R) < 0.02
        gaps = rng.geometric(0.02, size=R) - 1
        # all regular timestamps are even (planted blocks use odd ones)
        run_gap_ns = rng.exponential(1_500_000.0, size=R).astype(np.int64) * 2 + 2
        jitter = rng.normal(0.0, 4.0, size=R)

        if max_base_blocks is not None:
            cum = np.cumsum(L)
            if cum[-1] > max_base_blocks:
                last = int(np.searchsorted(cum, max_base_blocks, side="left"))
                R = last + 1
                p, task, order, fopt, bmt, offline = p[:R], task[:R], order[:R], fopt[:R], bmt[:R], offline[:R]
                gaps, run_gap_ns, jitter = gaps[:R], run_gap_ns[:R], jitter[:R]
                L = L[:R].copy()
                L[-1] -= int(cum[R - 1] - max_base_blocks)
        B = int(L.sum())
        self.paths_seen[p] = True

        # per-block arrays
        run_first = np.concatenate(([0], np.cumsum(L)[:-1]))
        bp = np.repeat(p, L)
        border = np.repeat(order, L)
        within = np.arange(B, dtype=np.int64) - np.repeat(run_first, L)

        # PFN: runs placed upwards with free gaps, aligned to their order;
        # room is reserved for planted chunks that fall into this batch.
        start = np.empty(R, dtype=np.int64)
        plant_here: list[tuple[int, int, int, int]] = []  # (insert before run r, path, count, pfn)
        cur = self.pfn
        base_pos = self.base_blocks
        pend = self.pending
        gl, ol, Ll = gaps.tolist(), order.tolist(), L.tolist()
        for r in range(R):
            while pend and pend[0][0] <= base_pos:
                _, k, c = pend.pop(0)
                plant_here.append((r, k, c, cur))
                cur += c
            cur += gl[r]
            a = (1 << ol[r]) - 1
            cur = (cur + a) & ~a
            start[r] = cur
            cur += Ll[r] << ol[r]
            base_pos += Ll[r]
        self.pfn = cur
        pfn = np.repeat(start, L) + (within << border)

        # timestamps: unique, increasing inside a run, runs locally shuffled
        early = m.is_early[p]
        inc = rng.integers(40, 2000, size=B).astype(np.int64) * 2
        if early.any():
            eb = np.repeat(early, L)
            inc[eb] = inc[eb] // 20 * 2 + 10  # early boot: a few hundred ns apart
        csum = np.cumsum(inc)
        run_sum = np.add.reduceat(inc, run_first) if B else np.zeros(0, np.int64)
        within_ts = csum - np.repeat(csum[run_first] - inc[run_first], L)
        dur = run_sum + run_gap_ns
        slot = np.argsort(np.arange(R) + jitter, kind="stable")
        run_start = np.empty(R, dtype=np.int64)
        d_sorted = np.where(early[slot], 0, dur[slot])
        run_start[slot] = self.clock + np.cumsum(d_sorted) - d_sorted + run_gap_ns[slot]
        self.clock += int(d_sorted.sum())
        if early.any():
            e_idx = np.flatnonzero(early)
            e_dur = run_sum[e_idx] + 300  # even
            run_start[e_idx] = self.early_clock + np.cumsum(e_dur) - e_dur
            self.early_clock += int(e_dur.sum())
        ts = np.repeat(run_start, L) + within_ts

        cols = self._columns(bp, border, np.repeat(task, L), pfn, ts, np.repeat(bmt, L),
                             np.repeat(fopt, L), np.repeat(offline, L), np.repeat(early, L), task, p,
                             offline, L)
        tpl = m.template
        blocks = [tpl % t for t in zip(*cols)]
        is_base = [True] * len(blocks)
        self.base_blocks += B

        if plant_here:
            # splice planted chunks in front of their runs (from the back)
            rf = run_first.tolist()
            for r, k, c, pfn0 in reversed(plant_here):
                pb = self.planted_blocks(k, c, pfn0, int(run_start[r]) - 1)
                i = rf[r]
                blocks[i:i] = pb
                is_base[i:i] = [False] * len(pb)
        return blocks, is_base

    def _columns(self, bp, border, btask, pfn, ts, bmt, bfopt, boffline, bearly, task_r, p_r,
                 offline_r, L, no_migrate: bool = False):
        m = self.m
        era = m.era
        B = len(bp)
        rng = m.rng_stream if not no_migrate else m.rng_plant
        # header
        key = bp * _MAX_ORDER_SHIFT + border
        uk, inv = np.unique(key, return_inverse=True)
        hdr = np.array([m.header(int(k)) for k in uk.tolist()], dtype=object)[inv]
        zone = (pfn >= 0x1000).astype(np.int64) + (pfn >= 0x100000)
        fl = m.flags_tbl[((bp * 3 + bfopt) * 2 + (border > 0)) * 3 + zone]
        # trailers: migrate reason + memcg line(s)
        mig = np.zeros(B, dtype=np.int64)
        if not no_migrate:
            hit = rng.random(B) < m.mig_rate[bp]
            if hit.any():
                nh = int(hit.sum())
                mig[hit] = 1 + rng.choice(len(_MIGRATE_REASONS), size=nh, p=_MIGRATE_P / _MIGRATE_P.sum())
                if era == "4.6":
                    mig[hit] = 1
        if era in ("5.18", "6.5", "6.7"):
            mc_r = np.array([m.memcg_code(int(a), int(b), bool(c))
                             for a, b, c in zip(p_r.tolist(), task_r.tolist(), offline_r.tolist())],
                            dtype=np.int64)
            mc = np.repeat(mc_r, L)
        else:
            mc = np.zeros(B, dtype=np.int64)
        tkey = mig * 100_000 + mc
        utk, tinv = np.unique(tkey, return_inverse=True)
        tr_strings = []
        for k in utk.tolist():
            tr_strings.append(m.mig_strings[k // 100_000] + m.memcg_strings[k % 100_000])
        trailer = np.array(tr_strings, dtype=object)[tinv]
        mt = m.mt_str[bp]
        bmts = np.array(_BMT_NAMES, dtype=object)[bmt]
        stack = m.stack[bp]
        blk = pfn >> 9
        if era == "4.6":
            return (hdr.tolist(), pfn.tolist(), mt.tolist(), blk.tolist(), bmts.tolist(),
                    fl.tolist(), stack.tolist(), trailer.tolist())
        task_s = m.task_str[btask]
        if era in ("5.13", "5.18", "6.5"):
            fts = self._free_ts(ts, bearly, rng)
            return (hdr.tolist(), task_s.tolist(), ts.tolist(), fts.tolist(), pfn.tolist(),
                    mt.tolist(), blk.tolist(), bmts.tolist(), fl.tolist(), stack.tolist(),
                    trailer.tolist())
        return (hdr.tolist(), task_s.tolist(), ts.tolist(), pfn.tolist(), mt.tolist(), blk.tolist(),
                bmts.tolist(), fl.tolist(), stack.tolist(), trailer.tolist())

    @staticmethod
    def _free_ts(ts: np.ndarray, early: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        span = np.minimum(ts - 1, 60_000_000_000)
        delta = 1 + (rng.random(len(ts)) * np.maximum(span - 1, 0)).astype(np.int64)
        fts = ts - delta
        zero = (rng.random(len(ts)) < 0.35) | early | (ts <= 1)
        return np.where(zero, 0, fts)

    def planted_blocks(self, k: int, c: int, pfn0: int, ts_end: int) -> list[str]:
        m = self.m
        bp = np.full(c, k, dtype=np.int64)
        border = np.zeros(c, dtype=np.int64)
        t = int(m.path_tasks[k, 0])
        btask = np.full(c, t, dtype=np.int64)
        pfn = pfn0 + np.arange(c, dtype=np.int64)
        gaps = m.rng_plant.integers(40, 2000, size=c).astype(np.int64) * 2
        first = max(ts_end - int(gaps.sum()), self.plant_ts + 2) | 1
        ts = first + np.cumsum(gaps) - gaps[0]          # odd, increasing: never equal to a base ts
        self.plant_ts = int(ts[-1])
        bmt = np.full(c, 4 if m.always_cma[k] else m.mt[k], dtype=np.int64)
        fopt = np.zeros(c, dtype=np.int64)
        off = np.zeros(c, dtype=bool)
        early = np.ones(c, dtype=bool)  # free_ts 0
        cols = self._columns(bp, border, btask, pfn, ts, bmt, fopt, off, early,
                             np.array([t]), np.array([k]), np.array([False]), np.array([c]),
                             no_migrate=True)
        tpl = m.template
        return [tpl % row for row in zip(*cols)]


def _normalise_plant(plant: Any) -> list[dict[str, int]]:
    if plant is None:
        return []
    if isinstance(plant, dict):
        plant = [plant]
    out = []
    for spec in plant:
        if isinstance(spec, dict):
            out.append({"path": int(spec["path"]), "blocks": int(spec["blocks"])})
        else:
            k, n = spec
            out.append({"path": int(k), "blocks": int(n)})
    return out


def generate(out: BinaryIO, *, size: int | None = None, blocks: int | None = None, era: str = "6.7",
             seed: int = 0, n_paths: int = 2000, zipf_a: float = 1.2, plant: Any = None,
             stack_variant: int = 0, slab_flag: bool = True) -> dict[str, Any]:
    """Write a synthetic page_owner dump to the binary file object ``out``.

    Parameters
    ----------
    size:
        Stop before the dump would exceed this many bytes (always at a block
        boundary; at least one block is written).  Planted blocks come on top.
    blocks:
        Stop after this many (non-planted) blocks.  With both ``size`` and
        ``blocks`` the first limit reached wins; with neither, ``size`` is 10 MiB.
    era:
        One of ``ERAS`` (see the module docstring); default ``"6.7"``.
    seed:
        Seeds every random choice; equal arguments give byte-identical dumps.
    n_paths:
        Size of the call-path pool (path ``k`` has Zipf rank ``k``: 0 is the
        most frequent).  Fewer distinct paths may appear in a small dump.
    zipf_a:
        Exponent of the Zipf law used to choose the path of each run.
    plant:
        A known leak to add: ``{"path": k, "blocks": n}`` (or a list of such
        dicts, or ``(k, n)`` pairs) adds ``n`` extra order-0 blocks with call
        path ``k``, spread over the dump in runs of 1-64 blocks.  They carry
        path ``k``'s mask and stack, its first task, no migrate line, and
        free_ts 0.  All other blocks keep exactly the header/stack/trailer text
        they have without ``plant`` (only PFN numbers move up to make room),
        so the planted dump sorts like the plain one plus ``n`` blocks for
        path ``k``.  The returned ``"planted"`` list gives each path's stack.
    stack_variant:
        Simulates another build of the same kernel: 0 is the base build; any
        other value deterministically changes every frame's ``+0xOFF/0xSIZE``
        and appends ``.isra.N`` / ``.constprop.N`` / ``.part.0`` / ``.cold``
        suffixes to about 8% of the symbols.  Paths, tasks, orders, timestamps
        and trailers are unchanged, so two variants contain the same call paths
        under different frame text.
    slab_flag:
        Print the ``slab`` page flag on slab pages (kernels up to ~v6.9; the
        tools' SLAB classification relies on it).  ``False`` mimics v6.10+,
        where slab is a page type and the flag is gone.

    Returns
    -------
    dict with ``blocks`` (all blocks written), ``bytes``, ``paths`` (distinct
    call paths present), ``planted_blocks``, ``planted`` (list of
    ``{"path", "blocks", "stack"}``), ``era`` and ``seed``.
    """
    if size is None and blocks is None:
        size = 10 << 20
    if size is not None and size < 0 or blocks is not None and blocks < 0:
        raise ValueError("size and blocks must be non-negative")
    plants = _normalise_plant(plant)
    model = _Model(era=era, seed=seed, n_paths=n_paths, zipf_a=zipf_a, stack_variant=stack_variant,
                   slab_flag=slab_flag)
    expected = blocks if blocks is not None else max(1, (size or 0) // _BYTES_PER_BLOCK[era])
    if blocks is not None and size is not None:
        expected = min(blocks, max(1, size // _BYTES_PER_BLOCK[era]))
    em = _Emitter(model, plants, expected)

    written = 0        # all bytes
    base_bytes = 0     # bytes of non-planted blocks
    n_blocks = 0
    n_planted = 0
    done = (blocks == 0) or (size == 0)
    while not done:
        left = None if blocks is None else blocks - em.base_blocks
        strs, is_base = em.batch(left)
        if blocks is not None and em.base_blocks >= blocks:
            done = True
        if size is not None:
            lens = [len(s) for s in strs]
            bsum = sum(ln for ln, b in zip(lens, is_base) if b)
            if base_bytes + bsum > size:
                # cut at the last block boundary that keeps base bytes <= size
                acc = base_bytes
                cut = len(strs)
                for i, (ln, b) in enumerate(zip(lens, is_base)):
                    if b:
                        if acc + ln > size and (acc > 0 or i > 0):
                            cut = i
                            break
                        acc += ln
                # planted blocks behind the cut are kept (their PFNs are still ascending)
                keep = [i for i in range(cut, len(strs)) if not is_base[i]]
                strs = strs[:cut] + [strs[i] for i in keep]
                lens = lens[:cut] + [lens[i] for i in keep]
                is_base = is_base[:cut] + [False] * len(keep)
                done = True
            base_bytes += sum(ln for ln, b in zip(lens, is_base) if b)
        n_planted += is_base.count(False)
        n_blocks += len(strs)
        data = "".join(strs).encode()
        out.write(data)
        written += len(data)
    # planted chunks not reached yet go at the end
    if em.pending:
        tail = []
        ts_end = em.clock + 1_000_000
        for _, k, c in em.pending:
            tail.extend(em.planted_blocks(k, c, em.pfn, ts_end))
            em.pfn += c
            ts_end += 10_000_000
        em.pending = []
        data = "".join(tail).encode()
        out.write(data)
        written += len(data)
        n_blocks += len(tail)
        n_planted += len(tail)
    planted_info = [{"path": s["path"], "blocks": s["blocks"], "stack": str(model.stack[s["path"]])}
                    for s in plants]
    for s in plants:
        em.paths_seen[s["path"]] = True
    return {"blocks": n_blocks, "bytes": written, "paths": int(em.paths_seen.sum()),
            "planted_blocks": n_planted, "planted": planted_info, "era": era, "seed": seed}


def path_stacks(*, era: str = "6.7", seed: int = 0, n_paths: int = 2000, stack_variant: int = 0) -> list[str]:
    """The rendered stack text of every path in the pool (index = Zipf rank)."""
    model = _Model(era=era, seed=seed, n_paths=n_paths, zipf_a=1.2, stack_variant=stack_variant,
                   slab_flag=True)
    return [str(s) for s in model.stack.tolist()]


_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """``"10M"`` -> 10 MiB; accepts K/M/G/T (binary, optional ``B``/``iB``) and plain bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise ValueError(f"bad size {text!r} (use e.g. 500K, 10M, 1G, 1.5G)")
    return int(float(m.group(1)) * _SUFFIX[m.group(2)])


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _plant_arg(text: str) -> dict[str, int]:
    try:
        k, n = text.split(":")
        return {"path": int(k), "blocks": int(n)}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PATH:BLOCKS, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m pageowner_fast.gen",
        description="Write a seeded, realistic synthetic /sys/kernel/debug/page_owner dump.")
    ap.add_argument("output", nargs="?", default="-", help="output file, or - for stdout (default)")
    ap.add_argument("--size", type=_size_arg, default=None,
                    help="stop near this size (e.g. 10M, 1G, 10G; default 10M if --blocks is not given)")
    ap.add_argument("--blocks", type=int, default=None, help="stop after this many blocks")
    ap.add_argument("--era", choices=ERAS, default="6.7", help="dump format (default 6.7)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--paths", type=int, default=2000, help="number of distinct call paths (default 2000)")
    ap.add_argument("--zipf-a", type=float, default=1.2, help="Zipf exponent of path choice (default 1.2)")
    ap.add_argument("--plant", type=_plant_arg, action="append", default=[], metavar="PATH:BLOCKS",
                    help="add BLOCKS extra order-0 blocks for path index PATH (repeatable)")
    ap.add_argument("--stack-variant", type=int, default=0,
                    help="render frames as another kernel build would (offsets, .isra/.constprop)")
    ap.add_argument("--no-slab-flag", dest="slab_flag", action="store_false",
                    help="omit the 'slab' page flag (v6.10+ kernels)")
    ap.add_argument("--stats", action="store_true", help="print a JSON summary on stderr")
    args = ap.parse_args(argv)

    kw = dict(size=args.size, blocks=args.blocks, era=args.era, seed=args.seed, n_paths=args.paths,
              zipf_a=args.zipf_a, plant=args.plant or None, stack_variant=args.stack_variant,
              slab_flag=args.slab_flag)
    try:
        if args.output == "-":
            stats = generate(sys.stdout.buffer, **kw)
            sys.stdout.buffer.flush()
        else:
            with open(args.output, "wb", buffering=1 << 20) as f:
                stats = generate(f, **kw)
    except BrokenPipeError:
        # the reader went away (e.g. "| head"): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ValueError as e:
        print(f"gen: {e}", file=sys.stderr)
        return 2
    if args.stats:
        stats = {k: v for k, v in stats.items() if k != "planted"} | {
            "planted": [{k: v for k, v in s.items() if k != "stack"} for s in stats["planted"]]}
        print(json.dumps(stats), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
