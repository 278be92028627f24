s|#include "nicsim/sim/apps\.h"|#include "nicsim/apps/udp_stream.h"|g
s|#include "nicsim/sim/tcp_apps\.h"|#include "nicsim/apps/stats.h"\n#include "nicsim/apps/tcp_apps.h"\n#include "nicsim/sim/tcp_socket.h"|g
s/\bsim::UdpStreamConfig\b/apps::UdpStreamConfig/g
s/\bsim::UdpStream\b/apps::UdpStream/g
s/\bsim::TcpBulkConfig\b/apps::TcpBulkConfig/g
s/\bsim::TcpBulk\b/apps::TcpBulk/g
s/\bsim::TcpRpcConfig\b/apps::TcpRpcConfig/g
s/\bsim::TcpRpc\b/apps::TcpRpc/g
s/\bsim::fill_stream(/apps::fill_stream(/g
s/\bsim::percentile(/apps::percentile(/g
s|sim/include/nicsim/sim/apps\.h|apps/include/nicsim/apps/udp_stream.h|g
s/\b\(k\|k_\|kk\|kernel_\|kern_\|k()\|kernel()\)\(\.\|->\)\(charge_ns\|charge_packet\|charge_copy\|charge_syscall\|settle\|raise_softirq\|do_softirq\|in_softirq\|request_irq\|free_irq\|mod_timer\|del_timer\|run_task\|run_task_at\)(/\1\2cpu().\3(/g
s/\b\(k\|k_\|kk\|kernel_\|kern_\|k()\|kernel()\)\(\.\|->\)\(dma_alloc_coherent\|dma_free_coherent\|dma_map_single\|dma_unmap_single\)(/\1\2dma().\3(/g
s/\b\(k\|k_\|kk\|kernel_\|kern_\|k()\|kernel()\)\(\.\|->\)\(pci_register_driver\|pci_unregister_driver\|pci_enable_device\|pci_disable_device\|pci_set_master\|pci_clear_master\|pci_iomap\|pci_enable_msi\|pci_disable_msi\|pci_dev\)(/\1\2pci().\3(/g
s/\b\(k\|k_\|kk\|kernel_\|kern_\|k()\|kernel()\)\(\.\|->\)\(register_netdev\|unregister_netdev\|dev_get_by_name\|dev_get_by_index\|netdevs\|dev_open\|dev_close\|dev_set_promiscuity\|dev_set_allmulti\|dev_mc_add\|dev_mc_del\|dev_get_stats\|register_netdevice_notifier\|dev_add_pack\|dev_remove_pack\|add_tap\|remove_tap\|netif_receive_skb\|dev_queue_xmit\|netif_stop_queue\|netif_start_queue\|netif_wake_queue\|netif_carrier_on\|netif_carrier_off\|netif_napi_add\|netif_napi_del\|napi_enable\|napi_disable\|napi_schedule\|napi_complete_done\)(/\1\2net().\3(/g
